using Sapling.Export.Onnx;
using Sapling.Models.Llama;
using Sapling.NN;

using static Sapling.Export.Seq2SeqOnnx;

namespace Sapling.Export;

/// <summary>
/// A Llama-family decoder (llama, mistral, qwen2, qwen3) as the one ONNX graph Hugging Face Optimum and ONNX Runtime
/// GenAI run for generation, with past keys and values:
/// <list type="bullet">
/// <item>inputs: input_ids int64 [batch, sequence]; attention_mask int64 [batch, past_sequence + sequence] (1 real,
/// 0 padding); position_ids int64 [batch, sequence]; per layer i, past_key_values.i.key / .value float32
/// [batch, kv_heads, past_sequence, head_dim] (past_sequence 0 on the first call).</item>
/// <item>outputs: logits [batch, sequence, vocab]; present.i.key / .value [batch, kv_heads, total_sequence, head_dim],
/// the past with this call's keys and values appended.</item>
/// </list>
/// Rotary cosines and sines are tables over max_position_embeddings computed in double (as Sapling computes them) and
/// gathered by position_ids, so rope scaling types default, linear, llama3 and yarn export exactly; dynamic NTK, which
/// changes the frequencies with the sequence's length, is refused. Grouped key/value heads are stored once and expanded
/// in the graph; Mistral's sliding window is part of the mask.
/// </summary>
internal static class LlamaOnnx
{
    private const string Sequence = OnnxExporter.SequenceAxis;
    private const string TotalSequence = "total_sequence";

    public static ModelProto Build(LlamaForCausalLM model)
    {
        var config = model.Config;
        if (config.RopeScaling.Type == RopeType.Dynamic)
            throw new NotSupportedException("ONNX export: rope_scaling type 'dynamic' changes the rotary frequencies with the sequence's length, which a fixed table cannot hold; export a model with default, linear, llama3 or yarn rope scaling");
        if (config.Quantization != null)
            throw new NotSupportedException("ONNX export: the model is int8-quantized (config.json has a quantization entry); export the float model");
        ClassifierOnnx.RequireNoAdapters(model);

        int heads = config.NumAttentionHeads, kvHeads = config.NumKeyValueHeads, headDim = config.HeadDim;
        var g = new OnnxGraphBuilder($"sapling_{config.ModelType}");
        g.Input("input_ids", Int64Type, Batch, Sequence);
        g.Input("attention_mask", Int64Type, Batch, TotalSequence);
        g.Input("position_ids", Int64Type, Batch, Sequence);
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            g.Input($"past_key_values.{i}.key", FloatType, Batch, kvHeads, PastSequence, headDim);
            g.Input($"past_key_values.{i}.value", FloatType, Batch, kvHeads, PastSequence, headDim);
        }

        var embedding = g.Weight("model.embed_tokens.weight", model.Model.EmbedTokens.Weight);
        var x = g.Node("Gather", [embedding, "input_ids"], "model.embed_tokens");                 // [B, T, hidden]
        var (cos, sin) = RotaryTables(g, model.Model.Rotary, config.MaxPositionEmbeddings);        // [B, 1, T, head_dim]
        var bias = AttentionBias(g, config.SlidingWindow ?? 0);                                   // [B, 1, T, S]
        var shared = new Shared(cos, sin, bias, g.Scalar("attention_scale", 1f / MathF.Sqrt(headDim)));
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            var layer = model.Model.Layers[i];
            string path = $"model.layers.{i}";
            var attended = Attention(g, layer.SelfAttn, config, $"{path}.self_attn", T5Onnx.RmsNorm(g, layer.InputLayernorm, $"{path}.input_layernorm", x), shared, i);
            x = g.Node("Add", [x, attended], $"{path}.attention_residual");
            var mlp = Mlp(g, layer.Mlp, $"{path}.mlp", T5Onnx.RmsNorm(g, layer.PostAttentionLayernorm, $"{path}.post_attention_layernorm", x));
            x = g.Node("Add", [x, mlp], $"{path}.mlp_residual");
        }
        x = T5Onnx.RmsNorm(g, model.Model.Norm, "model.norm", x);
        // A tied head reads the embedding transposed (folded by runtimes at load), so the file holds the matrix once.
        var logits = model.LmHead != null
            ? BertOnnx.Linear(g, model.LmHead, "lm_head", x)
            : g.Node("MatMul", [x, g.Node("Transpose", [embedding], "lm_head.weight_t", OnnxAttr.Ints("perm", 1, 0))], "lm_head");
        g.Output(logits, "logits", FloatType, Batch, Sequence, config.VocabSize);
        foreach (var (value, name) in shared.Presents) g.Output(value, name, FloatType, Batch, kvHeads, TotalSequence, headDim);

        var metadata = new Dictionary<string, string>
        {
            ["model_type"] = config.ModelType,
            ["num_hidden_layers"] = Invariant(config.NumHiddenLayers),
            ["num_key_value_heads"] = Invariant(kvHeads),
            ["head_dim"] = Invariant(headDim),
            ["max_position_embeddings"] = Invariant(config.MaxPositionEmbeddings),
            ["eos_token_id"] = string.Join(",", config.EosTokenIds.Select(Invariant)),
        };
        return OnnxModelFile.Create(g.Graph, $"Sapling {config.ModelType} decoder with past keys and values. First call: the whole prompt with empty past tensors (past_sequence 0); then one token per row with the previous call's present tensors as past. position_ids count each row's real tokens from 0.", metadata);
    }

    /// <summary>What every layer reads, and the present tensors the layers add.</summary>
    private sealed record Shared(string Cos, string Sin, string Bias, string Scale)
    {
        public List<(string Value, string Name)> Presents { get; } = new();
    }

    /// <summary>
    /// cos and sin [B, 1, T, head_dim] for position_ids: tables [max_positions, head_dim / 2] of the scaled frequencies
    /// (and YaRN's attention factor), computed once in double, gathered, and repeated for the two halves.
    /// </summary>
    private static (string Cos, string Sin) RotaryTables(OnnxGraphBuilder g, RotaryEmbedding rotary, int maxPositions)
    {
        int half = rotary.HeadDim / 2;
        var cos = new float[maxPositions * half];
        var sin = new float[maxPositions * half];
        var frequencies = rotary.InverseFrequencies;
        for (int p = 0; p < maxPositions; p++)
            for (int i = 0; i < half; i++)
            {
                double angle = p * frequencies[i];
                cos[p * half + i] = (float)(Math.Cos(angle) * rotary.AttentionFactor);
                sin[p * half + i] = (float)(Math.Sin(angle) * rotary.AttentionFactor);
            }
        string Table(string name, float[] values)
        {
            var gathered = g.Node("Gather", [g.Floats($"rotary.{name}_table", values, maxPositions, half), "position_ids"], $"rotary.{name}_half");   // [B, T, d/2]
            var full = g.Node("Concat", [gathered, gathered], $"rotary.{name}_full", OnnxAttr.Int("axis", -1));                                  // [B, T, d]
            return g.Node("Unsqueeze", [full, g.Int64s($"rotary.{name}_axis", [1], 1)], $"rotary.{name}");                                      // [B, 1, T, d]
        }
        return (Table("cos", cos), Table("sin", sin));
    }

    /// <summary>
    /// [B, 1, T, S], S = past + T: 0 where query i (at index past + i of the mask) may see key j, −1e9 where the key is
    /// later than the query, is padding, or (with a window) lies window or more positions back.
    /// </summary>
    private static string AttentionBias(OnnxGraphBuilder g, int window)
    {
        var idsShape = g.Node("Shape", ["input_ids"], "mask.ids_shape");
        var length = g.Node("Gather", [idsShape, g.Scalar("mask.one", 1L)], "mask.length", OnnxAttr.Int("axis", 0));
        var total = g.Node("Gather", [g.Node("Shape", ["attention_mask"], "mask.shape"), g.Scalar("mask.one_total", 1L)], "mask.total", OnnxAttr.Int("axis", 0));
        var past = g.Node("Sub", [total, length], "mask.past");
        var queries = g.Node("Unsqueeze", [g.Node("Range", [past, total, g.Scalar("mask.step", 1L)], "mask.query_range"), g.Int64s("mask.query_axis", [1], 1)], "mask.queries");  // [T, 1]
        var keys = g.Node("Unsqueeze", [g.Node("Range", [g.Scalar("mask.zero", 0L), total, g.Scalar("mask.key_step", 1L)], "mask.key_range"), g.Int64s("mask.key_axis", [0], 1)], "mask.keys");  // [1, S]
        var hidden = g.Node("Greater", [keys, queries], "mask.later");                                                                 // [T, S]
        if (window > 0)
        {
            var distance = g.Node("Sub", [queries, keys], "mask.distance");
            hidden = g.Node("Or", [hidden, g.Node("GreaterOrEqual", [distance, g.Scalar("mask.window", (long)window)], "mask.outside_window")], "mask.hidden");
        }
        var padding = g.Node("Equal", [g.Node("Unsqueeze", ["attention_mask", g.Int64s("mask.padding_axes", [1, 2], 2)], "mask.padding_4d"), g.Scalar("mask.padding_value", 0L)], "mask.padding");  // [B, 1, 1, S]
        hidden = g.Node("Or", [hidden, padding], "mask.all_hidden");                                                                   // [B, 1, T, S]
        return g.Node("Mul", [g.Node("Cast", [hidden], "mask.hidden_float", OnnxAttr.Int("to", (long)FloatType)), g.Scalar("mask.scale", -1e9f)], "mask.bias");
    }

    /// <summary>Grouped-query attention with rotary positions; keys and values appended to the past and returned as present.</summary>
    private static string Attention(OnnxGraphBuilder g, LlamaAttention attention, LlamaConfig config, string path, string x, Shared shared, int layer)
    {
        int heads = config.NumAttentionHeads, kvHeads = config.NumKeyValueHeads, d = config.HeadDim;
        var q = Heads(g, attention.QProj, attention.QNorm, $"{path}.q_proj", $"{path}.q_norm", x, heads, d);     // [B, H, T, d]
        var k = Heads(g, attention.KProj, attention.KNorm, $"{path}.k_proj", $"{path}.k_norm", x, kvHeads, d);   // [B, KV, T, d]
        var v = Heads(g, attention.VProj, null, $"{path}.v_proj", "", x, kvHeads, d);                             // [B, KV, T, d]
        q = Rotate(g, q, shared, $"{path}.q_rotary", d);
        k = Rotate(g, k, shared, $"{path}.k_rotary", d);
        k = g.Node("Concat", [$"past_key_values.{layer}.key", k], $"{path}.keys", OnnxAttr.Int("axis", 2));          // [B, KV, S, d]
        v = g.Node("Concat", [$"past_key_values.{layer}.value", v], $"{path}.values", OnnxAttr.Int("axis", 2));
        shared.Presents.Add((k, $"present.{layer}.key"));
        shared.Presents.Add((v, $"present.{layer}.value"));
        if (kvHeads != heads)
        {
            k = Expand(g, k, heads, kvHeads, d, $"{path}.keys_expanded");                                           // [B, H, S, d]
            v = Expand(g, v, heads, kvHeads, d, $"{path}.values_expanded");
        }
        q = g.Node("Mul", [q, shared.Scale], $"{path}.q_scaled");
        var scores = g.Node("MatMul", [q, g.Node("Transpose", [k], $"{path}.keys_t", OnnxAttr.Ints("perm", 0, 1, 3, 2))], $"{path}.scores");  // [B, H, T, S]
        scores = g.Node("Add", [scores, shared.Bias], $"{path}.masked");
        var context = g.Node("MatMul", [g.Node("Softmax", [scores], $"{path}.weights", OnnxAttr.Int("axis", -1)), v], $"{path}.context");     // [B, H, T, d]
        var merged = g.Node("Reshape", [g.Node("Transpose", [context], $"{path}.context_t", OnnxAttr.Ints("perm", 0, 2, 1, 3)), g.Int64s($"{path}.merged_shape", [0, 0, heads * d], 3)], $"{path}.merged");
        return BertOnnx.Linear(g, attention.OProj, $"{path}.o_proj", merged);
    }

    /// <summary>A projection split into heads [B, heads, T, d], each head RMS-normalised first where the model has a norm (Qwen3).</summary>
    private static string Heads(OnnxGraphBuilder g, Linear projection, RMSNorm? norm, string path, string normPath, string x, int heads, int d)
    {
        var split = g.Node("Reshape", [BertOnnx.Linear(g, projection, path, x), g.Int64s($"{path}.head_shape", [0, 0, heads, d], 4)], $"{path}.heads");
        if (norm != null) split = T5Onnx.RmsNorm(g, norm, normPath, split);
        return g.Node("Transpose", [split], $"{path}.heads_t", OnnxAttr.Ints("perm", 0, 2, 1, 3));
    }

    /// <summary>x·cos + rotate_half(x)·sin, rotate_half(x) = (−x₂, x₁).</summary>
    private static string Rotate(OnnxGraphBuilder g, string x, Shared shared, string path, int d)
    {
        var halves = g.Node("Split", [x, g.Int64s($"{path}.split", [d / 2, d / 2], 2)], $"{path}.half", 2, OnnxAttr.Int("axis", -1));
        var rotated = g.Node("Concat", [g.Node("Neg", [halves[1]], $"{path}.negated"), halves[0]], $"{path}.rotated", OnnxAttr.Int("axis", -1));
        return g.Node("Add", [g.Node("Mul", [x, shared.Cos], $"{path}.cos"), g.Node("Mul", [rotated, shared.Sin], $"{path}.sin")], path);
    }

    /// <summary>[B, KV, S, d] → [B, H, S, d]: each key/value head repeated for the query heads of its group.</summary>
    private static string Expand(OnnxGraphBuilder g, string x, int heads, int kvHeads, int d, string path)
    {
        var grouped = g.Node("Unsqueeze", [x, g.Int64s($"{path}.axis", [2], 1)], $"{path}.grouped");                        // [B, KV, 1, S, d]
        var repeated = g.Node("Expand", [grouped, g.Int64s($"{path}.shape", [1, 1, heads / kvHeads, 1, 1], 5)], $"{path}.repeated");  // [B, KV, G, S, d]
        return g.Node("Reshape", [repeated, g.Int64s($"{path}.merged_shape", [0, heads, -1, d], 4)], path);
    }

    /// <summary>down(silu(gate(x)) ⊙ up(x)).</summary>
    private static string Mlp(OnnxGraphBuilder g, LlamaMlp mlp, string path, string x)
    {
        var gate = BertOnnx.Linear(g, mlp.GateProj, $"{path}.gate_proj", x);
        var silu = g.Node("Mul", [gate, g.Node("Sigmoid", [gate], $"{path}.gate_sigmoid")], $"{path}.silu");
        var product = g.Node("Mul", [silu, BertOnnx.Linear(g, mlp.UpProj, $"{path}.up_proj", x)], $"{path}.product");
        return BertOnnx.Linear(g, mlp.DownProj, $"{path}.down_proj", product);
    }

    private static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
