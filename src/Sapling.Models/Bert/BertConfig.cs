using System.Text.Json;
using System.Text.Json.Nodes;
using Sapling.Data.Json;

namespace Sapling.Models.Bert;

/// <summary>
/// A BERT encoder configured with Hugging Face's config.json names (model_type <c>bert</c>). Keys that would change
/// the computation and that Sapling does not implement (a hidden_act other than gelu, relative position embeddings,
/// a decoder configuration) are refused by name.
/// </summary>
public sealed record BertConfig
{
    /// <summary>BERT's model_type.</summary>
    public const string Type = "bert";

    /// <summary>RoBERTa (Liu et al., 2019) keeps BERT's layers; its positions count from the padding id (see <see cref="PositionsFromPadding"/>).</summary>
    public const string RobertaType = "roberta";

    /// <summary>"bert" or "roberta": the config's model_type and the prefix its task models put on the encoder's weights.</summary>
    public string ModelType { get; init; } = Type;

    /// <summary>RoBERTa's positions: real tokens are numbered from pad_token_id + 1 in order, padding keeps pad_token_id
    /// (transformers' create_position_ids_from_input_ids); BERT numbers every position from 0.</summary>
    public bool PositionsFromPadding => ModelType == RobertaType;

    /// <summary>
    /// architectures: the transformers class names (BertModel by default; a ...ForSequenceClassification or
    /// ...ForTokenClassification name says which head the folder holds).
    /// </summary>
    public string[] Architectures { get; init; } = ["BertModel"];
    /// <summary>vocab_size: rows of the word embedding; default 30522.</summary>
    public int VocabSize { get; init; } = 30522;
    /// <summary>hidden_size: width of the residual stream and of every embedding; default 768.</summary>
    public int HiddenSize { get; init; } = 768;
    /// <summary>num_hidden_layers: encoder layers; default 12.</summary>
    public int NumHiddenLayers { get; init; } = 12;
    /// <summary>num_attention_heads: heads per self-attention; must divide hidden_size; default 12.</summary>
    public int NumAttentionHeads { get; init; } = 12;
    /// <summary>intermediate_size: width of the feed-forward's hidden layer; default 3072.</summary>
    public int IntermediateSize { get; init; } = 3072;
    /// <summary>
    /// max_position_embeddings: rows of the position embedding; default 512 (RoBERTa's texts are shorter, see
    /// <see cref="MaxTokens"/>).
    /// </summary>
    public int MaxPositionEmbeddings { get; init; } = 512;
    /// <summary>type_vocab_size: rows of the token-type (segment) embedding; default 2.</summary>
    public int TypeVocabSize { get; init; } = 2;
    /// <summary>layer_norm_eps: the epsilon of every LayerNorm; default 1e-12.</summary>
    public float LayerNormEps { get; init; } = 1e-12f;
    /// <summary>pad_token_id: the padding id (RoBERTa's positions count from it); default 0.</summary>
    public int PadTokenId { get; init; }

    /// <summary>Whether the checkpoint has the tanh pooler over [CLS] (BertModel's add_pooling_layer).</summary>
    public bool AddPoolingLayer { get; init; } = true;

    /// <summary>Dropout after the embeddings and after each sub-layer's projection, in training.</summary>
    public float HiddenDropoutProb { get; init; } = 0.1f;

    /// <summary>Dropout on the attention probabilities, in training.</summary>
    public float AttentionProbsDropoutProb { get; init; } = 0.1f;

    /// <summary>Dropout before a classification head; null: <see cref="HiddenDropoutProb"/> (transformers' rule).</summary>
    public float? ClassifierDropout { get; init; }

    /// <summary>Class names by id for a BertForSequenceClassification head (id2label); empty for the bare encoder.</summary>
    public string[] Labels { get; init; } = [];

    /// <summary>Present when the folder's Linear weights are int8 (see <see cref="Compression.QuantizationConfig"/>).</summary>
    public Compression.QuantizationConfig? Quantization { get; init; }

    /// <summary>Whether the folder holds BertForSequenceClassification (the encoder, its pooler and a linear head on it).</summary>
    public bool IsSequenceClassifier => Array.IndexOf(Architectures, "BertForSequenceClassification") >= 0 || Array.IndexOf(Architectures, "RobertaForSequenceClassification") >= 0;

    /// <summary>Whether the folder holds BertForTokenClassification or RobertaForTokenClassification (the encoder without
    /// its pooler and a linear head on every token's state).</summary>
    public bool IsTokenClassifier => Array.IndexOf(Architectures, "BertForTokenClassification") >= 0 || Array.IndexOf(Architectures, "RobertaForTokenClassification") >= 0;

    /// <summary>The longest text in tokens: RoBERTa's first real position is pad_token_id + 1.</summary>
    public int MaxTokens => PositionsFromPadding ? MaxPositionEmbeddings - PadTokenId - 1 : MaxPositionEmbeddings;

    /// <summary>Width of each attention head, hidden_size / num_attention_heads.</summary>
    public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>
    /// Refuses a config the model cannot be built from: sizes outside 1 .. 10,000,000, hidden_size not divisible by the
    /// heads, a non-positive epsilon, a pad id outside the vocabulary, an unknown model_type, no room for RoBERTa's
    /// positions, dropout outside [0, 1), duplicate or too few labels for a head, or a BERT sequence classifier without
    /// its pooler. <paramref name="source"/> names the config in the error.
    /// </summary>
    public void Validate(string source)
    {
        foreach (var (value, key) in new[] { (VocabSize, "vocab_size"), (HiddenSize, "hidden_size"), (NumHiddenLayers, "num_hidden_layers"), (NumAttentionHeads, "num_attention_heads"), (IntermediateSize, "intermediate_size"), (MaxPositionEmbeddings, "max_position_embeddings"), (TypeVocabSize, "type_vocab_size") })
            if (value < 1 || value > 10_000_000) throw new InvalidDataException($"{source}: {key} {value} must be between 1 and 10,000,000");
        if (HiddenSize % NumAttentionHeads != 0) throw new InvalidDataException($"{source}: hidden_size {HiddenSize} is not divisible by num_attention_heads {NumAttentionHeads}");
        if (!(LayerNormEps > 0) || !float.IsFinite(LayerNormEps)) throw new InvalidDataException($"{source}: layer_norm_eps {LayerNormEps} must be a positive number");
        if (PadTokenId < 0 || PadTokenId >= VocabSize) throw new InvalidDataException($"{source}: pad_token_id {PadTokenId} is outside the vocabulary of {VocabSize}");
        if (ModelType is not (Type or RobertaType)) throw new InvalidDataException($"{source}: model_type '{ModelType}' is not '{Type}' or '{RobertaType}'");
        if (PositionsFromPadding && MaxPositionEmbeddings <= PadTokenId + 1) throw new InvalidDataException($"{source}: max_position_embeddings {MaxPositionEmbeddings} leaves no position after the padding id {PadTokenId}");
        foreach (var (p, key) in new[] { (HiddenDropoutProb, "hidden_dropout_prob"), (AttentionProbsDropoutProb, "attention_probs_dropout_prob"), (ClassifierDropout ?? 0f, "classifier_dropout") })
            if (!(p >= 0 && p < 1)) throw new InvalidDataException($"{source}: {key} {p} must be in [0, 1)");
        if (Labels.Distinct(StringComparer.Ordinal).Count() != Labels.Length) throw new InvalidDataException($"{source}: id2label names a class twice");
        if (IsSequenceClassifier && Labels.Length < 2) throw new InvalidDataException($"{source}: a BertForSequenceClassification config needs id2label with at least 2 classes");
        if (IsTokenClassifier && Labels.Length < 2) throw new InvalidDataException($"{source}: a ...ForTokenClassification config needs id2label with at least 2 tags");
        if (IsSequenceClassifier && ModelType == Type && !AddPoolingLayer) throw new InvalidDataException($"{source}: BertForSequenceClassification classifies the pooled [CLS] vector; add_pooling_layer must not be false");
    }

    /// <summary>
    /// Reads and validates config.json text; <paramref name="source"/> names it in errors. A hidden_act other than
    /// gelu, non-absolute position embeddings, a decoder, and a problem_type other than single-label classification are
    /// refused.
    /// </summary>
    public static BertConfig FromJson(string json, string source)
    {
        var c = JsonSection.Parse(json, source);
        var modelType = c.String("model_type");
        if (modelType is not (Type or RobertaType)) throw c.Error("model_type", $"'{modelType}' is not '{Type}' or '{RobertaType}'");
        var act = c.OptionalString("hidden_act") ?? "gelu";
        if (act != "gelu") throw c.Error("hidden_act", $"'{act}' is not supported; BERT's feed-forward here uses the exact (erf) gelu");
        var position = c.OptionalString("position_embedding_type") ?? "absolute";
        if (position != "absolute") throw c.Error("position_embedding_type", $"'{position}' is not supported; absolute position embeddings are");
        if (c.Bool("is_decoder", false) || c.Bool("add_cross_attention", false)) throw c.Error("is_decoder", "a BERT decoder (causal or cross-attention) is not supported; the encoder is");
        var problem = c.OptionalString("problem_type") ?? "single_label_classification";
        if (problem != "single_label_classification") throw c.Error("problem_type", $"'{problem}' is not supported; single-label classification (softmax cross-entropy) is");
        var config = new BertConfig
        {
            ModelType = modelType,
            Architectures = c.Has("architectures") ? c.Array("architectures").Select((a, i) => a?.GetValue<string>() ?? throw c.Error($"architectures[{i}]", "is null")).ToArray() : ["BertModel"],
            VocabSize = c.Int("vocab_size", 30522, 1),
            HiddenSize = c.Int("hidden_size", 768, 1),
            NumHiddenLayers = c.Int("num_hidden_layers", 12, 1),
            NumAttentionHeads = c.Int("num_attention_heads", 12, 1),
            IntermediateSize = c.Int("intermediate_size", 3072, 1),
            MaxPositionEmbeddings = c.Int("max_position_embeddings", 512, 1),
            TypeVocabSize = c.Int("type_vocab_size", 2, 1),
            LayerNormEps = (float)(c.OptionalDouble("layer_norm_eps") ?? 1e-12),
            PadTokenId = c.Int("pad_token_id", 0),
            AddPoolingLayer = c.Bool("add_pooling_layer", true),
            HiddenDropoutProb = (float)(c.OptionalDouble("hidden_dropout_prob") ?? 0.1),
            AttentionProbsDropoutProb = (float)(c.OptionalDouble("attention_probs_dropout_prob") ?? 0.1),
            ClassifierDropout = c.OptionalDouble("classifier_dropout") is double d ? (float)d : null,
            Labels = ClassLabels.Read(c),
            Quantization = Compression.QuantizationConfig.Read(c),
        };
        config.Quantization?.Validate(source);
        config.Validate(source);
        return config;
    }

    /// <summary>
    /// config.json in Hugging Face's names (what transformers' BertConfig or RobertaConfig reads), indented.
    /// </summary>
    public string ToJson()
    {
        var root = new JsonObject
        {
            ["model_type"] = ModelType,
            ["architectures"] = new JsonArray(Architectures.Select(a => (JsonNode)a).ToArray()),
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_attention_heads"] = NumAttentionHeads,
            ["intermediate_size"] = IntermediateSize,
            ["hidden_act"] = "gelu",
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["type_vocab_size"] = TypeVocabSize,
            ["layer_norm_eps"] = LayerNormEps,
            ["pad_token_id"] = PadTokenId,
            ["position_embedding_type"] = "absolute",
            ["add_pooling_layer"] = AddPoolingLayer,
            ["hidden_dropout_prob"] = HiddenDropoutProb,
            ["attention_probs_dropout_prob"] = AttentionProbsDropoutProb,
        };
        if (ClassifierDropout != null) root["classifier_dropout"] = ClassifierDropout;
        ClassLabels.Write(root, Labels);
        if (Quantization != null) root["quantization"] = JsonSerializer.SerializeToNode(Quantization);
        if (Labels.Length > 0) root["problem_type"] = "single_label_classification";
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
