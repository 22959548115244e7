using Sapling.Export.Onnx;
using Sapling.Models.Bert;
using Sapling.Models.Roberta;
using Sapling.NN;

namespace Sapling.Export;

/// <summary>
/// BERT and RoBERTa encoders as ONNX graphs in the layout transformers' exporter gives them: inputs "input_ids" and
/// "attention_mask" int64 [batch, sequence] (BERT also "token_type_ids"), outputs "last_hidden_state" (and BERT's
/// "pooler_output"), or "logits" for a sequence classifier ([batch, labels]) or a token classifier ([batch, sequence, tags]). Padding enters as a large negative score before each
/// softmax; RoBERTa's positions are counted from the padding id inside the graph (CumSum over the real tokens).
/// </summary>
internal static class BertOnnx
{
    private const TensorProto.Types.DataType Int64 = TensorProto.Types.DataType.Int64;
    private const TensorProto.Types.DataType Float = TensorProto.Types.DataType.Float;

    public static ModelProto Build(BertModel model) => Build(model, "", head: null);

    public static ModelProto Build(BertForSequenceClassification model) => Build(model.Bert, "bert.", (g, hidden, pooled) =>
        g.Node("Add", [g.Node("MatMul", [pooled!, Transposed(g, "classifier.weight", model.Classifier.Weight)], "classifier.matmul"), g.Weight("classifier.bias", model.Classifier.Bias!)], "classifier"),
        model.Labels.Length);

    public static ModelProto Build(RobertaForSequenceClassification model) => Build(model.Roberta, "roberta.", (g, hidden, _) =>
    {
        var first = g.Node("Gather", [hidden, g.Scalar("first_token", 0L)], "first_token_state", OnnxAttr.Int("axis", 1));   // [B, H]
        var dense = Linear(g, model.Classifier.Dense, "classifier.dense", first);
        return Linear(g, model.Classifier.OutProj, "classifier.out_proj", g.Node("Tanh", [dense], "classifier.tanh"));
    }, model.Labels.Length);

    /// <summary>A token classifier: "logits" [batch, sequence, tags], the linear head on every token's state.</summary>
    public static ModelProto Build(BertForTokenClassification model) => Build(model.Encoder, model.Config.ModelType + ".", (g, hidden, _) =>
        Linear(g, model.Classifier, "classifier", hidden), model.Labels.Length, perToken: true);

    private delegate string Head(OnnxGraphBuilder g, string hidden, string? pooled);

    private static ModelProto Build(BertModel model, string prefix, Head? head, int labels = 0, bool perToken = false)
    {
        var config = model.Config;
        ClassifierOnnx.RequireNoAdapters(model);
        bool roberta = config.PositionsFromPadding;
        var g = new OnnxGraphBuilder(roberta ? "sapling_roberta" : "sapling_bert");
        g.Input("input_ids", Int64, OnnxExporter.BatchAxis, OnnxExporter.SequenceAxis);
        g.Input("attention_mask", Int64, OnnxExporter.BatchAxis, OnnxExporter.SequenceAxis);
        if (!roberta) g.Input("token_type_ids", Int64, OnnxExporter.BatchAxis, OnnxExporter.SequenceAxis);

        // Embeddings: words + positions + token types, then layer norm.
        var e = model.Embeddings;
        string positions;
        if (roberta)
        {
            // pad + 1, pad + 2, … over the real tokens, pad at padding (transformers' create_position_ids_from_input_ids).
            var real = g.Node("Cast", [g.Node("Not", [g.Node("Equal", ["input_ids", g.Scalar("pad_id", (long)config.PadTokenId)], "is_pad")], "is_real")], "real", OnnxAttr.Int("to", (long)Int64));
            var counted = g.Node("Mul", [g.Node("CumSum", [real, g.Scalar("sequence_axis", 1L)], "real_count"), real], "real_positions");
            positions = g.Node("Add", [counted, g.Scalar("position_offset", (long)config.PadTokenId)], "position_ids");
        }
        else
        {
            var shape = g.Node("Shape", ["input_ids"], "input_shape");
            var length = g.Node("Gather", [shape, g.Scalar("one", 1L)], "sequence_length", OnnxAttr.Int("axis", 0));
            positions = g.Node("Range", [g.Scalar("zero", 0L), length, g.Scalar("step", 1L)], "position_ids");
        }
        var words = g.Node("Gather", [g.Weight(prefix + "embeddings.word_embeddings.weight", e.WordEmbeddings.Weight), "input_ids"], "word_embeddings");
        var places = g.Node("Gather", [g.Weight(prefix + "embeddings.position_embeddings.weight", e.PositionEmbeddings.Weight), positions], "position_embeddings");
        var typeTable = g.Weight(prefix + "embeddings.token_type_embeddings.weight", e.TokenTypeEmbeddings.Weight);
        var types = roberta ? g.Node("Gather", [typeTable, g.Scalar("type_zero", 0L)], "token_type_embeddings") : g.Node("Gather", [typeTable, "token_type_ids"], "token_type_embeddings");
        var x = GptOnnx.LayerNorm(g, e.LayerNorm, prefix + "embeddings.LayerNorm", g.Node("Add", [g.Node("Add", [words, places], "embeddings.sum"), types], "embeddings.all"));

        var maskBias = MaskBias(g);
        var scale = g.Scalar("attention_scale", 1f / MathF.Sqrt(config.HeadDim));
        for (int i = 0; i < model.Encoder.Layers.Count; i++)
            x = Layer(g, model.Encoder.Layers[i], $"{prefix}encoder.layer.{i}", x, maskBias, scale, config);

        string? pooled = null;
        if (model.Pooler != null)
            pooled = g.Node("Tanh", [Linear(g, model.Pooler.Dense, prefix + "pooler.dense", g.Node("Gather", [x, g.Scalar("cls_index", 0L)], "cls_state", OnnxAttr.Int("axis", 1)))], "pooler_output");
        if (head != null)
        {
            if (perToken) g.Output(head(g, x, pooled), "logits", Float, OnnxExporter.BatchAxis, OnnxExporter.SequenceAxis, labels);
            else g.Output(head(g, x, pooled), "logits", Float, OnnxExporter.BatchAxis, labels);
        }
        else
        {
            g.Output(x, "last_hidden_state", Float, OnnxExporter.BatchAxis, OnnxExporter.SequenceAxis, config.HiddenSize);
            if (pooled != null) g.Output(pooled, "pooler_output", Float, OnnxExporter.BatchAxis, config.HiddenSize);
        }
        var metadata = new Dictionary<string, string>
        {
            ["model_type"] = config.ModelType,
            ["max_tokens"] = config.MaxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (config.Labels.Length > 0 && head != null) metadata["id2label"] = string.Join(",", config.Labels);
        return OnnxModelFile.Create(g.Graph, $"Sapling {config.ModelType} encoder{(head == null ? "" : perToken ? " with a token-classification head" : " with a sequence-classification head")}. Inputs: token ids and attention mask (1 real, 0 padding) of right-padded rows, at most {config.MaxTokens} tokens.", metadata);
    }

    /// <summary>Post-norm layer: attention with residual and layer norm, then the feed-forward with residual and layer norm.</summary>
    private static string Layer(OnnxGraphBuilder g, BertLayer layer, string path, string x, string maskBias, string scale, BertConfig config)
    {
        var self = layer.Attention.Self;
        var merged = SelfAttention(g, x, maskBias, scale, config.NumAttentionHeads, config.HeadDim,
            (self.Query, $"{path}.attention.self.query"), (self.Key, $"{path}.attention.self.key"), (self.Value, $"{path}.attention.self.value"), path);
        var attended = GptOnnx.LayerNorm(g, layer.Attention.Output.LayerNorm, $"{path}.attention.output.LayerNorm",
            g.Node("Add", [Linear(g, layer.Attention.Output.Dense, $"{path}.attention.output.dense", merged), x], $"{path}.attention.residual"));
        var inner = GptOnnx.GeluErf(g, Linear(g, layer.Intermediate.Dense, $"{path}.intermediate.dense", attended), $"{path}.intermediate.gelu");
        return GptOnnx.LayerNorm(g, layer.Output.LayerNorm, $"{path}.output.LayerNorm",
            g.Node("Add", [Linear(g, layer.Output.Dense, $"{path}.output.dense", inner), attended], $"{path}.output.residual"));
    }

    /// <summary>
    /// (mask − 1)·1e9 as [B, 1, 1, T] from the "attention_mask" input: 0 for real keys, −1e9 at padding, added to the
    /// scores before each softmax.
    /// </summary>
    internal static string MaskBias(OnnxGraphBuilder g)
    {
        var maskFloat = g.Node("Cast", ["attention_mask"], "mask_float", OnnxAttr.Int("to", (long)Float));
        var bias = g.Node("Mul", [g.Node("Sub", [maskFloat, g.Scalar("mask_one", 1f)], "mask_minus_one"), g.Scalar("mask_scale", 1e9f)], "mask_bias_2d");
        return g.Node("Unsqueeze", [bias, g.Int64s("mask_axes", [1, 2], 2)], "mask_bias");
    }

    /// <summary>Bidirectional multi-head attention over x [B, T, H] with a padding bias; the heads merged back to
    /// [B, T, heads·d] before the output projection (which the caller adds under its own name).</summary>
    internal static string SelfAttention(OnnxGraphBuilder g, string x, string maskBias, string scale, int heads, int headDim,
        (Linear Layer, string Path) query, (Linear Layer, string Path) key, (Linear Layer, string Path) value, string path)
    {
        var headShape = g.Int64s($"{path}.head_shape", [0, 0, heads, headDim], 4);
        string Heads((Linear Layer, string Path) projection, string name, params long[] perm) =>
            g.Node("Transpose", [g.Node("Reshape", [Linear(g, projection.Layer, projection.Path, x), headShape], $"{path}.{name}_heads")], $"{path}.{name}_t", OnnxAttr.Ints("perm", perm));
        var q = Heads(query, "query", 0, 2, 1, 3);                                        // [B, heads, T, d]
        var kT = Heads(key, "key", 0, 2, 3, 1);                                           // [B, heads, d, T]
        var v = Heads(value, "value", 0, 2, 1, 3);                                        // [B, heads, T, d]
        var scores = g.Node("Add", [g.Node("Mul", [g.Node("MatMul", [q, kT], $"{path}.qk"), scale], $"{path}.scaled"), maskBias], $"{path}.scores");
        var context = g.Node("MatMul", [g.Node("Softmax", [scores], $"{path}.weights", OnnxAttr.Int("axis", -1)), v], $"{path}.context");
        return g.Node("Reshape", [g.Node("Transpose", [context], $"{path}.context_t", OnnxAttr.Ints("perm", 0, 2, 1, 3)), g.Int64s($"{path}.merged_shape", [0, 0, heads * headDim], 3)], $"{path}.merged");
    }

    /// <summary>x·Wᵀ + b, the weight stored transposed ([in, out]) as PyTorch's exporter stores MatMul weights.</summary>
    internal static string Linear(OnnxGraphBuilder g, Linear layer, string path, string x)
    {
        var y = g.Node("MatMul", [x, Transposed(g, $"{path}.weight", layer.Weight)], $"{path}.matmul");
        return layer.Bias != null ? g.Node("Add", [y, g.Weight($"{path}.bias", layer.Bias)], path) : y;
    }

    private static string Transposed(OnnxGraphBuilder g, string name, Tensor weight) => g.TransposedWeight(name + "_t", weight);
}
