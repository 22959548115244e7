using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sapling.Models.Gpt;

/// <summary>A GPT-2-style decoder, configured with Hugging Face's GPT-2 config.json names.</summary>
public sealed record GptConfig
{
    /// <summary>model_type: must be "gpt2" (the default); anything else is refused.</summary>
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "gpt2";
    /// <summary>
    /// vocab_size: rows of the token embedding (wte) and width of the tied output head; default 50257.
    /// </summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 50257;
    /// <summary>
    /// n_positions: rows of the learned position embedding (wpe), so the context length; default 1024.
    /// </summary>
    [JsonPropertyName("n_positions")] public int NPositions { get; init; } = 1024;
    /// <summary>n_embd: width of the residual stream and of every embedding; default 768.</summary>
    [JsonPropertyName("n_embd")] public int NEmbd { get; init; } = 768;
    /// <summary>n_layer: transformer blocks; default 12.</summary>
    [JsonPropertyName("n_layer")] public int NLayer { get; init; } = 12;
    /// <summary>n_head: attention heads per block; must divide n_embd; default 12.</summary>
    [JsonPropertyName("n_head")] public int NHead { get; init; } = 12;
    /// <summary>
    /// n_inner: width of the MLP's hidden layer; null (the default) means 4 × n_embd (see <see cref="Inner"/>).
    /// </summary>
    [JsonPropertyName("n_inner")] public int? NInner { get; init; }
    /// <summary>layer_norm_epsilon: the epsilon of every LayerNorm; default 1e-5.</summary>
    [JsonPropertyName("layer_norm_epsilon")] public float LayerNormEpsilon { get; init; } = 1e-5f;
    /// <summary>
    /// activation_function: the MLP's activation, gelu_new (the default) or gelu_pytorch_tanh (tanh GELU), gelu (exact
    /// GELU) or relu; others are refused.
    /// </summary>
    [JsonPropertyName("activation_function")] public string ActivationFunction { get; init; } = "gelu_new";
    /// <summary>embd_pdrop: dropout on the summed token and position embeddings in training; default 0.1.</summary>
    [JsonPropertyName("embd_pdrop")] public float EmbdPdrop { get; init; } = 0.1f;
    /// <summary>attn_pdrop: dropout on the attention weights in training; default 0.1.</summary>
    [JsonPropertyName("attn_pdrop")] public float AttnPdrop { get; init; } = 0.1f;
    /// <summary>resid_pdrop: dropout on the attention and MLP outputs before each residual add; default 0.1.</summary>
    [JsonPropertyName("resid_pdrop")] public float ResidPdrop { get; init; } = 0.1f;
    /// <summary>
    /// tie_word_embeddings: written back as config.json has it (default true); the model always ties its head to wte.
    /// </summary>
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; } = true;
    /// <summary>
    /// architectures: GPT2LMHeadModel (the default) or GPT2ForSequenceClassification for a classifier.
    /// </summary>
    [JsonPropertyName("architectures")] public string[] Architectures { get; init; } = ["GPT2LMHeadModel"];

    /// <summary>Sequence classifiers (GPT2ForSequenceClassification): class names by id, their inverse, and the
    /// pooling Sapling used ("last" token, as GPT-2 does, or "mean"; a Sapling key that transformers ignores).</summary>
    [JsonPropertyName("id2label")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public Dictionary<string, string>? Id2Label { get; init; }
    /// <summary>label2id: a classifier's class ids by name, the inverse of id2label.</summary>
    [JsonPropertyName("label2id")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public Dictionary<string, int>? Label2Id { get; init; }
    /// <summary>
    /// pad_token_id: the id a classifier pads its batches with; null uses the tokenizer's end-of-text id.
    /// </summary>
    [JsonPropertyName("pad_token_id")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? PadTokenId { get; init; }
    /// <summary>classifier_pooling: "last" (the last real token) or "mean"; null means last.</summary>
    [JsonPropertyName("classifier_pooling")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? ClassifierPooling { get; init; }

    /// <summary>Attention heads removed from each layer, by their original index (Hugging Face's pruned_heads).</summary>
    [JsonPropertyName("pruned_heads")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public Dictionary<string, int[]>? PrunedHeads { get; init; }

    /// <summary>
    /// Present when the folder's weights are int8 (see <see cref="Compression.QuantizationConfig"/>).
    /// </summary>
    [JsonPropertyName("quantization")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public Compression.QuantizationConfig? Quantization { get; init; }

    /// <summary>Whether architectures names GPT2ForSequenceClassification.</summary>
    [JsonIgnore] public bool IsClassifier => Architectures.Contains("GPT2ForSequenceClassification");

    /// <summary>Class names in id order (a classifier's id2label).</summary>
    [JsonIgnore] public string[] Labels => Id2Label == null ? [] : Enumerable.Range(0, Id2Label.Count).Select(i => Id2Label.TryGetValue(i.ToString(System.Globalization.CultureInfo.InvariantCulture), out var l) ? l : i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    /// <summary>This config turned into a classifier's over <paramref name="labels"/>.</summary>
    public GptConfig AsClassifier(IReadOnlyList<string> labels, int padTokenId, string pooling) => this with
    {
        Architectures = ["GPT2ForSequenceClassification"],
        Id2Label = labels.Select((l, i) => (l, i)).ToDictionary(p => p.i.ToString(System.Globalization.CultureInfo.InvariantCulture), p => p.l),
        Label2Id = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i),
        PadTokenId = padTokenId,
        ClassifierPooling = pooling,
    };

    /// <summary>Width of each attention head, n_embd / n_head.</summary>
    [JsonIgnore] public int HeadDim => NEmbd / NHead;

    /// <summary>Attention heads left in <paramref name="layer"/> after pruning.</summary>
    public int HeadsIn(int layer) =>
        NHead - (PrunedHeads != null && PrunedHeads.TryGetValue(layer.ToString(System.Globalization.CultureInfo.InvariantCulture), out var pruned) ? pruned.Length : 0);
    /// <summary>Width of the MLP's hidden layer: n_inner, or 4 × n_embd when it is not set.</summary>
    [JsonIgnore] public int Inner => NInner ?? 4 * NEmbd;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>config.json in Hugging Face's names, indented (classifier and pruning keys only when set).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>
    /// Reads and validates config.json text; <paramref name="source"/> names it in errors. Keys not listed here are
    /// ignored.
    /// </summary>
    public static GptConfig FromJson(string json, string source)
    {
        GptConfig config;
        try
        {
            config = JsonSerializer.Deserialize<GptConfig>(json, Json) ?? throw new InvalidDataException($"{source}: empty configuration");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not a valid GPT-2 config.json ({e.Message})", e);
        }
        config.Validate(source);
        return config;
    }

    /// <summary>
    /// Parameters the config describes (embeddings, blocks, final norm; the tied head adds none), counted before
    /// anything is allocated, so a config can be checked against its checkpoint's size and the machine's memory.
    /// </summary>
    [JsonIgnore]
    public long ParameterCount
    {
        get
        {
            long e = NEmbd, inner = NInner ?? 4L * NEmbd;
            long perBlock = 4 * e                       // two layer norms
                + e * 3 * e + 3 * e + e * e + e         // c_attn, c_proj
                + e * inner + inner + inner * e + e;    // c_fc, mlp.c_proj
            return (long)VocabSize * e + (long)NPositions * e + NLayer * perBlock + 2 * e;
        }
    }

    /// <summary>
    /// Refuses a config whose parameters could not come from <paramref name="weightsPath"/>: every parameter takes
    /// at least one byte in a safetensors file (int8), so a config describing more than the file's size (n_layer:
    /// 10⁹) is wrong, and is refused before the model is built rather than after it has taken all memory.
    /// </summary>
    public void CheckAgainstWeights(string configPath, string weightsPath)
    {
        long bytes = new FileInfo(weightsPath).Length;
        if (ParameterCount > bytes)
            throw new InvalidDataException($"{configPath}: describes {ParameterCount:N0} parameters, but {weightsPath} holds only {bytes:N0} bytes; the config does not belong to these weights (check n_layer, n_embd, vocab_size, n_positions)");
    }

    private static void Positive(string source, string key, int value)
    {
        if (value <= 0) throw new InvalidDataException($"{source}: {key} must be positive, got {value}");
    }

    /// <summary>
    /// Refuses a config the model cannot be built from: a model_type other than gpt2, non-positive sizes, n_embd not
    /// divisible by n_head, dropout outside [0, 1), an unsupported activation, a classifier with fewer than 2 labels,
    /// an unknown pooling, pruned heads that are out of range or remove a whole layer, or a matrix larger than one
    /// tensor can hold. <paramref name="source"/> names the config in the error.
    /// </summary>
    public void Validate(string source)
    {
        if (ModelType != "gpt2") throw new InvalidDataException($"{source}: model_type '{ModelType}' is not gpt2");
        Positive(source, "n_embd", NEmbd);
        Positive(source, "n_head", NHead);
        Positive(source, "n_layer", NLayer);
        Positive(source, "vocab_size", VocabSize);
        Positive(source, "n_positions", NPositions);
        if (NInner is int inner) Positive(source, "n_inner", inner);
        if (NEmbd % NHead != 0) throw new InvalidDataException($"{source}: n_embd {NEmbd} is not divisible by n_head {NHead}");
        if (!(LayerNormEpsilon > 0) || !float.IsFinite(LayerNormEpsilon)) throw new InvalidDataException($"{source}: layer_norm_epsilon must be a small positive number, got {LayerNormEpsilon}");
        foreach (var (key, p) in new[] { ("embd_pdrop", EmbdPdrop), ("attn_pdrop", AttnPdrop), ("resid_pdrop", ResidPdrop) })
            if (!(p >= 0 && p < 1)) throw new InvalidDataException($"{source}: {key} must be in [0, 1), got {p}");
        // Each weight matrix is one array: its element count must fit one.
        foreach (var (what, rows, columns) in new[] { ("vocab_size × n_embd", (long)VocabSize, (long)NEmbd), ("n_positions × n_embd", NPositions, NEmbd), ("n_embd × 4·n_embd", NEmbd, (long)(NInner ?? 4L * NEmbd)) })
            if (rows * columns > Array.MaxLength) throw new InvalidDataException($"{source}: {what} = {rows * columns:N0} weights is more than one tensor can hold");
        if (ActivationFunction is not ("gelu_new" or "gelu" or "gelu_pytorch_tanh" or "relu"))
            throw new InvalidDataException($"{source}: activation_function '{ActivationFunction}' is not supported (gelu_new, gelu, gelu_pytorch_tanh, relu)");
        if (IsClassifier && (Id2Label == null || Id2Label.Count < 2)) throw new InvalidDataException($"{source}: a GPT2ForSequenceClassification config needs id2label with at least 2 classes");
        Quantization?.Validate(source);
        if (ClassifierPooling is not (null or "last" or "mean")) throw new InvalidDataException($"{source}: classifier_pooling '{ClassifierPooling}' is not last or mean");
        foreach (var (layer, heads) in PrunedHeads ?? [])
        {
            if (!int.TryParse(layer, out int l) || l < 0 || l >= NLayer) throw new InvalidDataException($"{source}: pruned_heads names layer '{layer}', not one of 0..{NLayer - 1}");
            if (heads.Any(h => h < 0 || h >= NHead) || heads.Distinct().Count() != heads.Length)
                throw new InvalidDataException($"{source}: pruned_heads of layer {layer} must be distinct heads in 0..{NHead - 1}, got [{string.Join(", ", heads)}]");
            if (heads.Length >= NHead) throw new InvalidDataException($"{source}: pruned_heads removes all {NHead} heads of layer {layer}; keep at least one");
        }
    }
}
