using System.Text.Json;
using System.Text.Json.Nodes;
using Sapling.Data.Json;

namespace Sapling.Models.DistilBert;

/// <summary>
/// DistilBERT's config.json (model_type <c>distilbert</c>) with transformers' names: dim, n_layers, n_heads,
/// hidden_dim, dropout, attention_dropout, seq_classif_dropout. Sinusoidal position embeddings and activations other
/// than gelu are refused by name.
/// </summary>
public sealed record DistilBertConfig
{
    /// <summary>DistilBERT's model_type, the only one this config accepts.</summary>
    public const string Type = "distilbert";

    /// <summary>
    /// architectures: the transformers class names (DistilBertModel by default; a ...ForSequenceClassification or
    /// ...ForTokenClassification name says which head the folder holds).
    /// </summary>
    public string[] Architectures { get; init; } = ["DistilBertModel"];
    /// <summary>vocab_size: rows of the word embedding; default 30522.</summary>
    public int VocabSize { get; init; } = 30522;
    /// <summary>dim: width of the residual stream and of every embedding; default 768.</summary>
    public int Dim { get; init; } = 768;
    /// <summary>n_layers: transformer blocks; default 6.</summary>
    public int NLayers { get; init; } = 6;
    /// <summary>n_heads: heads per self-attention; must divide dim; default 12.</summary>
    public int NHeads { get; init; } = 12;
    /// <summary>hidden_dim: width of the feed-forward's hidden layer; default 3072.</summary>
    public int HiddenDim { get; init; } = 3072;
    /// <summary>
    /// max_position_embeddings: rows of the learned position table, so the longest input; default 512.
    /// </summary>
    public int MaxPositionEmbeddings { get; init; } = 512;
    /// <summary>dropout: dropout on the embeddings and on each sub-layer's output in training; default 0.1.</summary>
    public float Dropout { get; init; } = 0.1f;
    /// <summary>attention_dropout: dropout on the attention probabilities in training; default 0.1.</summary>
    public float AttentionDropout { get; init; } = 0.1f;
    /// <summary>seq_classif_dropout: dropout before a sequence classifier's last layer; default 0.2.</summary>
    public float SeqClassifDropout { get; init; } = 0.2f;
    /// <summary>pad_token_id: the padding id; default 0.</summary>
    public int PadTokenId { get; init; }

    /// <summary>Class names by id (id2label) of a DistilBertForSequenceClassification; empty for the bare model.</summary>
    public string[] Labels { get; init; } = [];

    /// <summary>Present when the folder's Linear weights are int8 (see <see cref="Compression.QuantizationConfig"/>).</summary>
    public Compression.QuantizationConfig? Quantization { get; init; }

    /// <summary>Whether architectures names DistilBertForSequenceClassification.</summary>
    public bool IsSequenceClassifier => Array.IndexOf(Architectures, "DistilBertForSequenceClassification") >= 0;

    /// <summary>Whether architectures names DistilBertForTokenClassification.</summary>
    public bool IsTokenClassifier => Array.IndexOf(Architectures, "DistilBertForTokenClassification") >= 0;

    /// <summary>Width of each attention head, dim / n_heads.</summary>
    public int HeadDim => Dim / NHeads;

    /// <summary>
    /// Refuses a config the model cannot be built from: sizes outside 1 .. 10,000,000, dim not divisible by n_heads, a
    /// pad id outside the vocabulary, dropout outside [0, 1), or duplicate or too few labels for a head.
    /// <paramref name="source"/> names the config in the error.
    /// </summary>
    public void Validate(string source)
    {
        foreach (var (value, key) in new[] { (VocabSize, "vocab_size"), (Dim, "dim"), (NLayers, "n_layers"), (NHeads, "n_heads"), (HiddenDim, "hidden_dim"), (MaxPositionEmbeddings, "max_position_embeddings") })
            if (value < 1 || value > 10_000_000) throw new InvalidDataException($"{source}: {key} {value} must be between 1 and 10,000,000");
        if (Dim % NHeads != 0) throw new InvalidDataException($"{source}: dim {Dim} is not divisible by n_heads {NHeads}");
        if (PadTokenId < 0 || PadTokenId >= VocabSize) throw new InvalidDataException($"{source}: pad_token_id {PadTokenId} is outside the vocabulary of {VocabSize}");
        foreach (var (p, key) in new[] { (Dropout, "dropout"), (AttentionDropout, "attention_dropout"), (SeqClassifDropout, "seq_classif_dropout") })
            if (!(p >= 0 && p < 1)) throw new InvalidDataException($"{source}: {key} {p} must be in [0, 1)");
        if (Labels.Distinct(StringComparer.Ordinal).Count() != Labels.Length) throw new InvalidDataException($"{source}: id2label names a class twice");
        if (IsSequenceClassifier && Labels.Length < 2) throw new InvalidDataException($"{source}: a DistilBertForSequenceClassification config needs id2label with at least 2 classes");
        if (IsTokenClassifier && Labels.Length < 2) throw new InvalidDataException($"{source}: a DistilBertForTokenClassification config needs id2label with at least 2 tags");
    }

    /// <summary>
    /// Reads and validates config.json text; <paramref name="source"/> names it in errors. An activation other than
    /// gelu, sinusoidal positions and a problem_type other than single-label classification are refused.
    /// </summary>
    public static DistilBertConfig FromJson(string json, string source)
    {
        var c = JsonSection.Parse(json, source);
        if (c.String("model_type") != Type) throw c.Error("model_type", $"'{c.String("model_type")}' is not '{Type}'");
        var act = c.OptionalString("activation") ?? "gelu";
        if (act != "gelu") throw c.Error("activation", $"'{act}' is not supported; DistilBERT's feed-forward here uses the exact (erf) gelu");
        if (c.Bool("sinusoidal_pos_embds", false)) throw c.Error("sinusoidal_pos_embds", "sinusoidal position embeddings are not supported; learnt ones are");
        var problem = c.OptionalString("problem_type") ?? "single_label_classification";
        if (problem != "single_label_classification") throw c.Error("problem_type", $"'{problem}' is not supported; single-label classification is");
        var config = new DistilBertConfig
        {
            Architectures = c.Has("architectures") ? c.Array("architectures").Select((a, i) => a?.GetValue<string>() ?? throw c.Error($"architectures[{i}]", "is null")).ToArray() : ["DistilBertModel"],
            VocabSize = c.Int("vocab_size", 30522, 1),
            Dim = c.Int("dim", 768, 1),
            NLayers = c.Int("n_layers", 6, 1),
            NHeads = c.Int("n_heads", 12, 1),
            HiddenDim = c.Int("hidden_dim", 3072, 1),
            MaxPositionEmbeddings = c.Int("max_position_embeddings", 512, 1),
            Dropout = (float)(c.OptionalDouble("dropout") ?? 0.1),
            AttentionDropout = (float)(c.OptionalDouble("attention_dropout") ?? 0.1),
            SeqClassifDropout = (float)(c.OptionalDouble("seq_classif_dropout") ?? 0.2),
            PadTokenId = c.Int("pad_token_id", 0),
            Labels = ClassLabels.Read(c),
            Quantization = Compression.QuantizationConfig.Read(c),
        };
        config.Validate(source);
        config.Quantization?.Validate(source);
        return config;
    }

    /// <summary>config.json in Hugging Face's names (what transformers' DistilBertConfig reads), indented.</summary>
    public string ToJson()
    {
        var root = new JsonObject
        {
            ["model_type"] = Type,
            ["architectures"] = new JsonArray(Architectures.Select(a => (JsonNode)a).ToArray()),
            ["vocab_size"] = VocabSize, ["dim"] = Dim, ["n_layers"] = NLayers, ["n_heads"] = NHeads, ["hidden_dim"] = HiddenDim,
            ["max_position_embeddings"] = MaxPositionEmbeddings, ["activation"] = "gelu", ["sinusoidal_pos_embds"] = false,
            ["dropout"] = Dropout, ["attention_dropout"] = AttentionDropout, ["seq_classif_dropout"] = SeqClassifDropout,
            ["pad_token_id"] = PadTokenId,
        };
        ClassLabels.Write(root, Labels);
        if (Quantization != null) root["quantization"] = JsonSerializer.SerializeToNode(Quantization);
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
