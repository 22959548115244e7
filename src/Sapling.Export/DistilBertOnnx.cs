using Sapling.Export.Onnx;
using Sapling.Models.DistilBert;

namespace Sapling.Export;

/// <summary>
/// DistilBERT as an ONNX graph in the layout transformers' exporter gives it: inputs "input_ids" and "attention_mask"
/// int64 [batch, sequence], output "last_hidden_state", or "logits" for a sequence classifier ([batch, labels]:
/// pre_classifier, ReLU, classifier on the [CLS] state) or a token classifier ([batch, sequence, tags]). Padding
/// enters as a large negative score before each softmax, as in <see cref="BertOnnx"/>.
/// </summary>
internal static class DistilBertOnnx
{
    private const TensorProto.Types.DataType Int64 = TensorProto.Types.DataType.Int64;
    private const TensorProto.Types.DataType Float = TensorProto.Types.DataType.Float;

    public static ModelProto Build(DistilBertModel model) => Build(model, "", head: null);

    public static ModelProto Build(DistilBertForSequenceClassification model) => Build(model.Distilbert, "distilbert.", (g, hidden) =>
    {
        var first = g.Node("Gather", [hidden, g.Scalar("first_token", 0L)], "first_token_state", OnnxAttr.Int("axis", 1));   // [B, dim]
        var pre = g.Node("Relu", [BertOnnx.Linear(g, model.PreClassifier, "pre_classifier", first)], "pre_classifier.relu");
        return BertOnnx.Linear(g, model.Classifier, "classifier", pre);
    }, model.Labels);

    public static ModelProto Build(DistilBertForTokenClassification model) => Build(model.Distilbert, "distilbert.", (g, hidden) =>
        BertOnnx.Linear(g, model.Classifier, "classifier", hidden), model.Labels, perToken: true);

    private delegate string Head(OnnxGraphBuilder g, string hidden);

    private static ModelProto Build(DistilBertModel model, string prefix, Head? head, string[]? labels = null, bool perToken = false)
    {
        var config = model.Config;
        ClassifierOnnx.RequireNoAdapters(model);
        var g = new OnnxGraphBuilder("sapling_distilbert");
        g.Input("input_ids", Int64, OnnxExporter.BatchAxis, OnnxExporter.SequenceAxis);
        g.Input("attention_mask", Int64, OnnxExporter.BatchAxis, OnnxExporter.SequenceAxis);

        // Embeddings: words + positions 0…T−1, then layer norm.
        var e = model.Embeddings;
        var length = g.Node("Gather", [g.Node("Shape", ["input_ids"], "input_shape"), g.Scalar("one", 1L)], "sequence_length", OnnxAttr.Int("axis", 0));
        var positions = g.Node("Range", [g.Scalar("zero", 0L), length, g.Scalar("step", 1L)], "position_ids");
        var words = g.Node("Gather", [g.Weight(prefix + "embeddings.word_embeddings.weight", e.WordEmbeddings.Weight), "input_ids"], "word_embeddings");
        var places = g.Node("Gather", [g.Weight(prefix + "embeddings.position_embeddings.weight", e.PositionEmbeddings.Weight), positions], "position_embeddings");
        var x = GptOnnx.LayerNorm(g, e.LayerNorm, prefix + "embeddings.LayerNorm", g.Node("Add", [words, places], "embeddings.sum"));

        var maskBias = BertOnnx.MaskBias(g);
        var scale = g.Scalar("attention_scale", 1f / MathF.Sqrt(config.HeadDim));
        for (int i = 0; i < model.Transformer.Layers.Count; i++)
            x = Layer(g, model.Transformer.Layers[i], $"{prefix}transformer.layer.{i}", x, maskBias, scale, config);

        if (head == null) g.Output(x, "last_hidden_state", Float, OnnxExporter.BatchAxis, OnnxExporter.SequenceAxis, config.Dim);
        else if (perToken) g.Output(head(g, x), "logits", Float, OnnxExporter.BatchAxis, OnnxExporter.SequenceAxis, labels!.Length);
        else g.Output(head(g, x), "logits", Float, OnnxExporter.BatchAxis, labels!.Length);
        var metadata = new Dictionary<string, string>
        {
            ["model_type"] = DistilBertConfig.Type,
            ["max_tokens"] = config.MaxPositionEmbeddings.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (labels != null) metadata["id2label"] = string.Join(",", labels);
        return OnnxModelFile.Create(g.Graph, $"Sapling distilbert encoder{(head == null ? "" : perToken ? " with a token-classification head" : " with a sequence-classification head")}. Inputs: token ids and attention mask (1 real, 0 padding) of right-padded rows, at most {config.MaxPositionEmbeddings} tokens.", metadata);
    }

    /// <summary>Post-norm layer: attention + residual + sa_layer_norm, then the feed-forward + residual + output_layer_norm.</summary>
    private static string Layer(OnnxGraphBuilder g, TransformerBlock layer, string path, string x, string maskBias, string scale, DistilBertConfig config)
    {
        var a = layer.Attention;
        var merged = BertOnnx.SelfAttention(g, x, maskBias, scale, config.NHeads, config.HeadDim,
            (a.QLin, $"{path}.attention.q_lin"), (a.KLin, $"{path}.attention.k_lin"), (a.VLin, $"{path}.attention.v_lin"), path);
        var attended = GptOnnx.LayerNorm(g, layer.SaLayerNorm, $"{path}.sa_layer_norm",
            g.Node("Add", [BertOnnx.Linear(g, a.OutLin, $"{path}.attention.out_lin", merged), x], $"{path}.attention.residual"));
        var inner = GptOnnx.GeluErf(g, BertOnnx.Linear(g, layer.Ffn.Lin1, $"{path}.ffn.lin1", attended), $"{path}.ffn.gelu");
        return GptOnnx.LayerNorm(g, layer.OutputLayerNorm, $"{path}.output_layer_norm",
            g.Node("Add", [BertOnnx.Linear(g, layer.Ffn.Lin2, $"{path}.ffn.lin2", inner), attended], $"{path}.output.residual"));
    }
}
