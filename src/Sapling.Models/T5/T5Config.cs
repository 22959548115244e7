using System.Text.Json;
using System.Text.Json.Nodes;
using Sapling.Data.Json;

namespace Sapling.Models.T5;

/// <summary>
/// A T5 encoder-decoder configured with Hugging Face's config.json names (model_type <c>t5</c>): T5 v1.0's layout (ReLU
/// feed-forward, output tied to the embedding) and v1.1's / FLAN-T5's (gated-GELU, untied lm_head). Keys that would
/// change the computation and that Sapling does not implement are refused by name.
/// </summary>
public sealed record T5Config
{
    /// <summary>T5's model_type, the only one this config accepts.</summary>
    public const string Type = "t5";

    /// <summary>architectures: the transformers class names; default T5ForConditionalGeneration.</summary>
    public string[] Architectures { get; init; } = ["T5ForConditionalGeneration"];
    /// <summary>vocab_size: rows of the shared token embedding and width of the output layer; default 32128.</summary>
    public int VocabSize { get; init; } = 32128;
    /// <summary>d_model: width of the residual stream and of every token embedding; default 512.</summary>
    public int DModel { get; init; } = 512;

    /// <summary>Width of each attention head (need not be d_model / num_heads).</summary>
    public int DKv { get; init; } = 64;

    /// <summary>d_ff: width of the feed-forward's hidden layer; default 2048.</summary>
    public int DFf { get; init; } = 2048;
    /// <summary>num_layers: blocks in the encoder; default 6.</summary>
    public int NumLayers { get; init; } = 6;
    /// <summary>num_decoder_layers: blocks in the decoder; when config.json omits it, num_layers.</summary>
    public int NumDecoderLayers { get; init; } = 6;
    /// <summary>num_heads: attention heads per attention layer; default 8.</summary>
    public int NumHeads { get; init; } = 8;
    /// <summary>
    /// relative_attention_num_buckets: buckets of relative distance, each with a learned bias per head; at least 4;
    /// default 32.
    /// </summary>
    public int RelativeAttentionNumBuckets { get; init; } = 32;
    /// <summary>
    /// relative_attention_max_distance: the distance from which all longer ones share the last bucket; default 128.
    /// </summary>
    public int RelativeAttentionMaxDistance { get; init; } = 128;
    /// <summary>
    /// dropout_rate: dropout on embeddings, sub-layer outputs and attention weights in training; default 0.1.
    /// </summary>
    public float DropoutRate { get; init; } = 0.1f;
    /// <summary>layer_norm_epsilon: the epsilon of every RMS norm; default 1e-6.</summary>
    public float LayerNormEpsilon { get; init; } = 1e-6f;

    /// <summary>Scales transformers' initialisation (1.0 as published).</summary>
    public float InitializerFactor { get; init; } = 1f;

    /// <summary>"relu", "gated-gelu", "gated-silu", ...: the feed-forward's activation, gated (two input projections) or not.</summary>
    public string FeedForwardProj { get; init; } = "relu";

    /// <summary>pad_token_id: the padding id; default 0.</summary>
    public int PadTokenId { get; init; }
    /// <summary>eos_token_id: the id that ends a sequence (one id; a list is refused); default 1.</summary>
    public int EosTokenId { get; init; } = 1;
    /// <summary>decoder_start_token_id: the decoder's first input; when config.json omits it, pad_token_id.</summary>
    public int DecoderStartTokenId { get; init; }
    /// <summary>
    /// tie_word_embeddings: whether the output layer is the shared embedding (T5 v1.0, the default) rather than an own
    /// lm_head (v1.1, FLAN-T5).
    /// </summary>
    public bool TieWordEmbeddings { get; init; } = true;

    /// <summary>Whether the feed-forward multiplies an activated projection by a second one (wi_0, wi_1).</summary>
    public bool IsGatedAct => FeedForwardProj.StartsWith("gated-", StringComparison.Ordinal);

    /// <summary>The activation's name as transformers resolves it: a gated "gelu" is the tanh approximation (gelu_new).</summary>
    public string DenseActFn
    {
        get
        {
            var act = FeedForwardProj[(FeedForwardProj.LastIndexOf('-') + 1)..];
            return IsGatedAct && act == "gelu" ? "gelu_new" : act;
        }
    }

    /// <summary>Width of all heads together, num_heads × d_kv (the q, k and v projections' output).</summary>
    public int InnerDim => NumHeads * DKv;

    /// <summary>Present when the folder's Linear weights are int8 (see <see cref="Compression.QuantizationConfig"/>).</summary>
    public Compression.QuantizationConfig? Quantization { get; init; }

    /// <summary>
    /// Refuses a config the model cannot be built from: sizes outside 1 .. 10,000,000, fewer than 4 buckets, a
    /// max_distance not above half the buckets, an unsupported feed_forward_proj, token ids outside the vocabulary,
    /// dropout outside [0, 1), or a non-positive epsilon or initializer_factor. <paramref name="source"/> names the
    /// config in the error.
    /// </summary>
    public void Validate(string source)
    {
        foreach (var (value, key) in new[] { (VocabSize, "vocab_size"), (DModel, "d_model"), (DKv, "d_kv"), (DFf, "d_ff"), (NumLayers, "num_layers"), (NumDecoderLayers, "num_decoder_layers"), (NumHeads, "num_heads"), (RelativeAttentionNumBuckets, "relative_attention_num_buckets"), (RelativeAttentionMaxDistance, "relative_attention_max_distance") })
            if (value < 1 || value > 10_000_000) throw new InvalidDataException($"{source}: {key} {value} must be between 1 and 10,000,000");
        // Bidirectional buckets split in two halves, each with an exact part of half its size.
        if (RelativeAttentionNumBuckets < 4) throw new InvalidDataException($"{source}: relative_attention_num_buckets {RelativeAttentionNumBuckets} must be at least 4");
        if (RelativeAttentionMaxDistance <= RelativeAttentionNumBuckets / 2) throw new InvalidDataException($"{source}: relative_attention_max_distance {RelativeAttentionMaxDistance} must exceed half of relative_attention_num_buckets {RelativeAttentionNumBuckets}");
        var parts = FeedForwardProj.Split('-');
        if (parts.Length > 2 || (parts.Length == 2 && parts[0] != "gated") || DenseActFn is not ("relu" or "gelu" or "gelu_new" or "silu"))
            throw new InvalidDataException($"{source}: feed_forward_proj '{FeedForwardProj}' is not supported (relu, gelu, silu, or gated- before one of them)");
        foreach (var (id, key) in new[] { (PadTokenId, "pad_token_id"), (EosTokenId, "eos_token_id"), (DecoderStartTokenId, "decoder_start_token_id") })
            if (id < 0 || id >= VocabSize) throw new InvalidDataException($"{source}: {key} {id} is outside the vocabulary of {VocabSize}");
        if (!(DropoutRate >= 0 && DropoutRate < 1)) throw new InvalidDataException($"{source}: dropout_rate {DropoutRate} must be in [0, 1)");
        if (!(LayerNormEpsilon > 0) || !float.IsFinite(LayerNormEpsilon)) throw new InvalidDataException($"{source}: layer_norm_epsilon {LayerNormEpsilon} must be a positive number");
        if (!(InitializerFactor > 0) || !float.IsFinite(InitializerFactor)) throw new InvalidDataException($"{source}: initializer_factor {InitializerFactor} must be a positive number");
    }

    /// <summary>Parameters of the model this config describes (the shared embedding once).</summary>
    public long ParameterCount
    {
        get
        {
            long d = DModel, inner = InnerDim;
            long attention = 4 * d * inner;
            long ff = (IsGatedAct ? 3 : 2) * d * DFf;
            long encoder = NumLayers * (attention + ff + 2 * d) + d + RelativeAttentionNumBuckets * NumHeads;
            long decoder = NumDecoderLayers * (2 * attention + ff + 3 * d) + d + RelativeAttentionNumBuckets * NumHeads;
            return VocabSize * d * (TieWordEmbeddings ? 1 : 2) + encoder + decoder;
        }
    }

    /// <summary>
    /// Reads and validates config.json text; <paramref name="source"/> names it in errors. A model_type other than t5
    /// and a list of eos ids are refused.
    /// </summary>
    public static T5Config FromJson(string json, string source)
    {
        var c = JsonSection.Parse(json, source);
        var modelType = c.String("model_type");
        if (modelType != Type) throw c.Error("model_type", $"'{modelType}' is not '{Type}'");
        int layers = c.Int("num_layers", 6, 1);
        int pad = c.Int("pad_token_id", 0);
        int eos = c.IntOrList("eos_token_id") is { Length: > 0 } eosIds
            ? eosIds.Length == 1 ? eosIds[0] : throw c.Error("eos_token_id", "a list of end ids is not supported for encoder-decoders; give one id")
            : 1;
        var config = new T5Config
        {
            Architectures = c.Has("architectures") ? c.Array("architectures").Select((a, i) => a?.GetValue<string>() ?? throw c.Error($"architectures[{i}]", "is null")).ToArray() : ["T5ForConditionalGeneration"],
            VocabSize = c.Int("vocab_size", 32128, 1),
            DModel = c.Int("d_model", 512, 1),
            DKv = c.Int("d_kv", 64, 1),
            DFf = c.Int("d_ff", 2048, 1),
            NumLayers = layers,
            NumDecoderLayers = c.Has("num_decoder_layers") ? c.Int("num_decoder_layers", layers, 1) : layers,
            NumHeads = c.Int("num_heads", 8, 1),
            RelativeAttentionNumBuckets = c.Int("relative_attention_num_buckets", 32, 1),
            RelativeAttentionMaxDistance = c.Int("relative_attention_max_distance", 128, 1),
            DropoutRate = (float)(c.OptionalDouble("dropout_rate") ?? 0.1),
            LayerNormEpsilon = (float)(c.OptionalDouble("layer_norm_epsilon") ?? 1e-6),
            InitializerFactor = (float)(c.OptionalDouble("initializer_factor") ?? 1.0),
            FeedForwardProj = c.OptionalString("feed_forward_proj") ?? "relu",
            PadTokenId = pad,
            EosTokenId = eos,
            DecoderStartTokenId = c.Int("decoder_start_token_id", pad),
            TieWordEmbeddings = c.Bool("tie_word_embeddings", true),
            Quantization = Compression.QuantizationConfig.Read(c),
        };
        config.Quantization?.Validate(source);
        config.Validate(source);
        return config;
    }

    /// <summary>config.json in Hugging Face's names (what transformers' T5Config reads), indented.</summary>
    public string ToJson()
    {
        var root = new JsonObject
        {
            ["model_type"] = Type,
            ["architectures"] = new JsonArray(Architectures.Select(a => (JsonNode)a).ToArray()),
            ["vocab_size"] = VocabSize,
            ["d_model"] = DModel,
            ["d_kv"] = DKv,
            ["d_ff"] = DFf,
            ["num_layers"] = NumLayers,
            ["num_decoder_layers"] = NumDecoderLayers,
            ["num_heads"] = NumHeads,
            ["relative_attention_num_buckets"] = RelativeAttentionNumBuckets,
            ["relative_attention_max_distance"] = RelativeAttentionMaxDistance,
            ["dropout_rate"] = DropoutRate,
            ["layer_norm_epsilon"] = LayerNormEpsilon,
            ["initializer_factor"] = InitializerFactor,
            ["feed_forward_proj"] = FeedForwardProj,
            ["pad_token_id"] = PadTokenId,
            ["eos_token_id"] = EosTokenId,
            ["decoder_start_token_id"] = DecoderStartTokenId,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["is_encoder_decoder"] = true,
        };
        if (Quantization != null) root["quantization"] = JsonSerializer.SerializeToNode(Quantization);
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
