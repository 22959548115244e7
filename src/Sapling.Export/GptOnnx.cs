using Sapling.Export.Onnx;
using Sapling.Models.Gpt;
using Sapling.NN;

namespace Sapling.Export;

/// <summary>
/// A GPT-2-style language model as an ONNX graph: input "input_ids" int64 [batch, sequence], output "logits"
/// float32 [batch, sequence, vocab], both axes dynamic. The graph is the model's eval-mode forward pass without a
/// KV cache: embeddings, pre-LayerNorm blocks of causal attention and MLP, the final LayerNorm, and the output head
/// tied to the token embedding. The causal mask is computed from the input's length inside the graph.
/// </summary>
internal static class GptOnnx
{
    public static ModelProto Build(GptModel model)
    {
        var config = model.Config;
        if (model.Score != null)
            throw new NotSupportedException("ONNX export: GPT sequence classifiers (a score head) are not supported; only language models are exported");
        if (model.VirtualTokens > 0)
            throw new NotSupportedException("ONNX export: GPT models with prompt-tuning embeddings are not supported");
        ClassifierOnnx.RequireNoAdapters(model);

        var g = new OnnxGraphBuilder("sapling_gpt2");
        g.Input("input_ids", TensorProto.Types.DataType.Int64, OnnxExporter.BatchAxis, OnnxExporter.SequenceAxis);
        var wte = g.Weight("wte.weight", model.Wte.Weight);
        var wpe = g.Weight("wpe.weight", model.Wpe.Weight);

        // Positions 0..T-1 and the [T, T] causal mask, both from the input's runtime length T.
        var shape = g.Node("Shape", ["input_ids"], "input_shape");
        var length = g.Node("Gather", [shape, g.Scalar("one", 1L)], "sequence_length", OnnxAttr.Int("axis", 0));
        var positions = g.Node("Range", [g.Scalar("zero", 0L), length, g.Scalar("step", 1L)], "positions");
        var length1d = g.Node("Slice", [shape, g.Int64s("slice_start", [1], 1), g.Int64s("slice_end", [2], 1)], "sequence_length_1d");
        var squareShape = g.Node("Concat", [length1d, length1d], "mask_shape", OnnxAttr.Int("axis", 0));
        var allMasked = g.Node("ConstantOfShape", [squareShape], "mask_fill",
            OnnxAttr.Tensor("value", OnnxTensors.Float("value", [float.NegativeInfinity], 1)));
        // Strictly above the diagonal (key after query) stays -inf; the rest becomes 0: added to the scores before softmax.
        var mask = g.Node("Trilu", [allMasked, g.Scalar("mask_offset", 1L)], "causal_mask", OnnxAttr.Int("upper", 1));

        var x = g.Node("Add", [g.Node("Gather", [wte, "input_ids"], "wte"), g.Node("Gather", [wpe, positions], "wpe")], "embeddings");
        var shared = new Shared(Scale: g.Scalar("attention_scale", 1f / MathF.Sqrt(config.HeadDim)), Mask: mask);
        for (int i = 0; i < model.Blocks.Count; i++) x = Block(g, model.Blocks[i], $"h.{i}", x, shared, config.ActivationFunction);
        x = LayerNorm(g, model.LnF, "ln_f", x);
        // Weight tying: the head is the token embedding, transposed in the graph rather than stored twice.
        var head = g.Node("Transpose", [wte], "lm_head.weight", OnnxAttr.Ints("perm", 1, 0));
        var logits = g.Node("MatMul", [x, head], "lm_head");
        g.Output(logits, "logits", TensorProto.Types.DataType.Float, OnnxExporter.BatchAxis, OnnxExporter.SequenceAxis, config.VocabSize);

        var metadata = new Dictionary<string, string>
        {
            ["model_type"] = "gpt2",
            ["vocab_size"] = config.VocabSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["n_positions"] = config.NPositions.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        return OnnxModelFile.Create(g.Graph, $"Sapling GPT-2-style language model. Input: token ids (at most n_positions = {config.NPositions} per row, no padding); output: next-token logits at every position.", metadata);
    }

    /// <summary>Constants every block reuses.</summary>
    private sealed record Shared(string Scale, string Mask);

    /// <summary>x + attn(ln_1(x)), then x + mlp(ln_2(x)), as GptBlock.Forward.</summary>
    private static string Block(OnnxGraphBuilder g, GptBlock block, string path, string x, Shared s, string activation)
    {
        x = g.Node("Add", [x, Attention(g, block.Attn, $"{path}.attn", LayerNorm(g, block.Ln1, $"{path}.ln_1", x), s)], $"{path}.residual1");
        return g.Node("Add", [x, Mlp(g, block.Mlp, $"{path}.mlp", LayerNorm(g, block.Ln2, $"{path}.ln_2", x), activation)], $"{path}.residual2");
    }

    /// <summary>softmax(QKᵀ/√d + mask)·V per head, heads merged, then the output projection.</summary>
    private static string Attention(OnnxGraphBuilder g, CausalSelfAttention attn, string path, string x, Shared s)
    {
        // Each layer's own widths: a model with pruned heads has fewer heads in some layers.
        int inner = attn.Heads * attn.HeadDim;
        var headShape = g.Int64s($"{path}.head_shape", [0, 0, attn.Heads, attn.HeadDim], 4);
        var mergedShape = g.Int64s($"{path}.merged_shape", [0, 0, inner], 3);
        var qkv = Conv1D(g, attn.CAttn, $"{path}.c_attn", x);
        var parts = g.Node("Split", [qkv, g.Int64s($"{path}.qkv_split", [inner, inner, inner], 3)], $"{path}.qkv", 3, OnnxAttr.Int("axis", 2));
        // [B, T, C] → [B, T, heads, d] → [B, heads, T, d]; keys go straight to [B, heads, d, T] for the product.
        var q = g.Node("Transpose", [g.Node("Reshape", [parts[0], headShape], $"{path}.q_heads")], $"{path}.q", OnnxAttr.Ints("perm", 0, 2, 1, 3));
        var kT = g.Node("Transpose", [g.Node("Reshape", [parts[1], headShape], $"{path}.k_heads")], $"{path}.k_t", OnnxAttr.Ints("perm", 0, 2, 3, 1));
        var v = g.Node("Transpose", [g.Node("Reshape", [parts[2], headShape], $"{path}.v_heads")], $"{path}.v", OnnxAttr.Ints("perm", 0, 2, 1, 3));
        var scores = g.Node("Mul", [g.Node("MatMul", [q, kT], $"{path}.qk"), s.Scale], $"{path}.scores");
        scores = g.Node("Add", [scores, s.Mask], $"{path}.masked_scores");
        var weights = g.Node("Softmax", [scores], $"{path}.weights", OnnxAttr.Int("axis", -1));
        var heads = g.Node("MatMul", [weights, v], $"{path}.attended");
        var merged = g.Node("Reshape", [g.Node("Transpose", [heads], $"{path}.attended_t", OnnxAttr.Ints("perm", 0, 2, 1, 3)), mergedShape], $"{path}.merged");
        return Conv1D(g, attn.CProj, $"{path}.c_proj", merged);
    }

    /// <summary>c_fc → activation → c_proj, as GptMlp.Forward.</summary>
    private static string Mlp(OnnxGraphBuilder g, GptMlp mlp, string path, string x, string activation)
    {
        var h = Conv1D(g, mlp.CFc, $"{path}.c_fc", x);
        h = activation switch
        {
            "relu" => g.Node("Relu", [h], $"{path}.act"),
            "gelu" => GeluErf(g, h, $"{path}.act"),
            _ => GeluTanh(g, h, $"{path}.act"),
        };
        return Conv1D(g, mlp.CProj, $"{path}.c_proj", h);
    }

    /// <summary>GPT-2's Conv1D: x·W + b with W stored [in, out], so MatMul takes it as it is.</summary>
    private static string Conv1D(OnnxGraphBuilder g, Conv1D layer, string path, string x) =>
        g.Node("Add", [g.Node("MatMul", [x, g.Weight($"{path}.weight", layer.Weight)], $"{path}.matmul"), g.Weight($"{path}.bias", layer.Bias)], path);

    internal static string LayerNorm(OnnxGraphBuilder g, LayerNorm ln, string path, string x)
    {
        var size = ln.NormalizedShape.Select(d => (long)d).ToArray();
        int count = ln.NormalizedShape.Aggregate(1, (a, b) => a * b);
        var scale = ln.Weight != null ? g.Weight($"{path}.weight", ln.Weight) : g.Floats($"{path}.weight", Enumerable.Repeat(1f, count).ToArray(), size);
        var bias = ln.Bias != null ? g.Weight($"{path}.bias", ln.Bias) : g.Floats($"{path}.bias", new float[count], size);
        return g.Node("LayerNormalization", [x, scale, bias], path,
            OnnxAttr.Int("axis", -ln.NormalizedShape.Length), OnnxAttr.Float("epsilon", ln.Eps));
    }

    /// <summary>0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), GPT-2's "gelu_new", from opset-17 ops (ONNX's Gelu arrives in opset 20).</summary>
    internal static string GeluTanh(OnnxGraphBuilder g, string x, string path)
    {
        var cube = g.Node("Mul", [g.Node("Mul", [x, x], $"{path}.x2"), x], $"{path}.x3");
        var inner = g.Node("Add", [x, g.Node("Mul", [cube, g.Scalar($"{path}.cubic", 0.044715f)], $"{path}.cubic_term")], $"{path}.inner");
        var t = g.Node("Tanh", [g.Node("Mul", [inner, g.Scalar($"{path}.sqrt_2_over_pi", 0.7978845608028654f)], $"{path}.scaled")], $"{path}.tanh");
        return Half(g, x, g.Node("Add", [t, g.Scalar($"{path}.one", 1f)], $"{path}.one_plus"), path);
    }

    /// <summary>0.5·x·(1 + erf(x/√2)), the exact GELU.</summary>
    internal static string GeluErf(OnnxGraphBuilder g, string x, string path)
    {
        var e = g.Node("Erf", [g.Node("Mul", [x, g.Scalar($"{path}.inv_sqrt2", 0.7071067811865476f)], $"{path}.scaled")], $"{path}.erf");
        return Half(g, x, g.Node("Add", [e, g.Scalar($"{path}.one", 1f)], $"{path}.one_plus"), path);
    }

    private static string Half(OnnxGraphBuilder g, string x, string onePlus, string path) =>
        g.Node("Mul", [g.Node("Mul", [x, onePlus], $"{path}.x_times"), g.Scalar($"{path}.half", 0.5f)], path);
}
