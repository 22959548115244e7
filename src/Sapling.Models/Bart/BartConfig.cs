using System.Text.Json;
using System.Text.Json.Nodes;
using Sapling.Data.Json;

namespace Sapling.Models.Bart;

/// <summary>
/// A BART or Marian encoder-decoder configured with Hugging Face's config.json names (model_type <c>bart</c> or
/// <c>marian</c>). Marian (the opus-mt translation models) is BART's layout with fixed sinusoidal positions and no layer
/// norm over the embeddings, so one record and one model file carry both. Keys that would change the computation and
/// that Sapling does not implement (mBART's pre-norm layers, separate decoder vocabularies, layer drop) are refused by
/// name.
/// </summary>
public sealed record BartConfig
{
    /// <summary>BART's model_type.</summary>
    public const string Type = "bart";
    /// <summary>Marian's model_type.</summary>
    public const string MarianType = "marian";

    /// <summary>"bart" or "marian".</summary>
    public string ModelType { get; init; } = Type;

    /// <summary>Marian's positions are a fixed sinusoid (sines in the first half of each vector, cosines in the second);
    /// BART's are learned and stored two rows down (the first two rows of its table are unused).</summary>
    public bool SinusoidalPositions => ModelType == MarianType;

    /// <summary>BART normalises the summed embeddings (layernorm_embedding); Marian does not.</summary>
    public bool LayerNormEmbedding => ModelType == Type;

    /// <summary>
    /// architectures: the transformers class names; empty when config.json has none (then ToJson writes
    /// BartForConditionalGeneration or MarianMTModel).
    /// </summary>
    public string[] Architectures { get; init; } = [];
    /// <summary>vocab_size: rows of the shared token embedding and width of the output layer; default 50265.</summary>
    public int VocabSize { get; init; } = 50265;
    /// <summary>d_model: width of the residual stream and of every embedding in both stacks; default 1024.</summary>
    public int DModel { get; init; } = 1024;
    /// <summary>encoder_layers: layers in the encoder; default 12.</summary>
    public int EncoderLayers { get; init; } = 12;
    /// <summary>decoder_layers: layers in the decoder; default 12.</summary>
    public int DecoderLayers { get; init; } = 12;
    /// <summary>
    /// encoder_attention_heads: heads of each encoder self-attention; must divide d_model; default 16.
    /// </summary>
    public int EncoderAttentionHeads { get; init; } = 16;
    /// <summary>
    /// decoder_attention_heads: heads of each decoder self- and cross-attention; must divide d_model; default 16.
    /// </summary>
    public int DecoderAttentionHeads { get; init; } = 16;
    /// <summary>
    /// encoder_ffn_dim: width of the encoder's feed-forward hidden layer (fc1's output); default 4096.
    /// </summary>
    public int EncoderFfnDim { get; init; } = 4096;
    /// <summary>
    /// decoder_ffn_dim: width of the decoder's feed-forward hidden layer (fc1's output); default 4096.
    /// </summary>
    public int DecoderFfnDim { get; init; } = 4096;

    /// <summary>gelu (exact), gelu_new (tanh approximation), relu, or swish/silu (Marian).</summary>
    public string ActivationFunction { get; init; } = "gelu";

    /// <summary>max_position_embeddings: the longest source and the longest target, in tokens; default 1024.</summary>
    public int MaxPositionEmbeddings { get; init; } = 1024;

    /// <summary>Multiply token embeddings by √d_model (Marian's checkpoints do, BART's do not).</summary>
    public bool ScaleEmbedding { get; init; }

    /// <summary>dropout: dropout on embeddings and on each sublayer's output in training; default 0.1.</summary>
    public float Dropout { get; init; } = 0.1f;
    /// <summary>attention_dropout: dropout on the attention weights in training; default 0.</summary>
    public float AttentionDropout { get; init; }
    /// <summary>activation_dropout: dropout after the feed-forward activation in training; default 0.</summary>
    public float ActivationDropout { get; init; }
    /// <summary>init_std: standard deviation of the random initialisation of weights; default 0.02.</summary>
    public float InitStd { get; init; } = 0.02f;

    /// <summary>pad_token_id: the padding id; default 1 for BART, vocab_size − 1 for Marian.</summary>
    public int PadTokenId { get; init; } = 1;
    /// <summary>bos_token_id: the beginning-of-sequence id; default 0 for BART, none for Marian.</summary>
    public int? BosTokenId { get; init; } = 0;
    /// <summary>
    /// eos_token_id: the id that ends a sequence (one id; a list is refused); default 2 for BART, 0 for Marian.
    /// </summary>
    public int EosTokenId { get; init; } = 2;

    /// <summary>The first decoder input of every target (BART: eos; Marian: pad).</summary>
    public int DecoderStartTokenId { get; init; } = 2;

    /// <summary>Generation puts this token first (BART's bos after the start token); null: none.</summary>
    public int? ForcedBosTokenId { get; init; }

    /// <summary>Generation ends with this token when it reaches its length limit; null: none.</summary>
    public int? ForcedEosTokenId { get; init; }

    /// <summary>Single tokens generation never produces (Marian's bad_words_ids [[pad]]).</summary>
    public int[] BadWordIds { get; init; } = [];

    /// <summary>The output layer is the shared token embedding (tie_word_embeddings, the default).</summary>
    public bool TieWordEmbeddings { get; init; } = true;

    /// <summary>Whether model_type is marian.</summary>
    public bool IsMarian => ModelType == MarianType;
    /// <summary>Width of each encoder attention head, d_model / encoder_attention_heads.</summary>
    public int EncoderHeadDim => DModel / EncoderAttentionHeads;
    /// <summary>Width of each decoder attention head, d_model / decoder_attention_heads.</summary>
    public int DecoderHeadDim => DModel / DecoderAttentionHeads;

    /// <summary>Present when the folder's Linear weights are int8 (see <see cref="Compression.QuantizationConfig"/>).</summary>
    public Compression.QuantizationConfig? Quantization { get; init; }

    /// <summary>
    /// Refuses a config the model cannot be built from: sizes outside 1 .. 10,000,000, d_model not divisible by the
    /// heads, an unknown model_type or activation, token ids outside the vocabulary, dropout outside [0, 1), or a
    /// non-positive init_std. <paramref name="source"/> names the config in the error.
    /// </summary>
    public void Validate(string source)
    {
        foreach (var (value, key) in new[] { (VocabSize, "vocab_size"), (DModel, "d_model"), (EncoderLayers, "encoder_layers"), (DecoderLayers, "decoder_layers"), (EncoderAttentionHeads, "encoder_attention_heads"), (DecoderAttentionHeads, "decoder_attention_heads"), (EncoderFfnDim, "encoder_ffn_dim"), (DecoderFfnDim, "decoder_ffn_dim"), (MaxPositionEmbeddings, "max_position_embeddings") })
            if (value < 1 || value > 10_000_000) throw new InvalidDataException($"{source}: {key} {value} must be between 1 and 10,000,000");
        if (DModel % EncoderAttentionHeads != 0) throw new InvalidDataException($"{source}: d_model {DModel} is not divisible by encoder_attention_heads {EncoderAttentionHeads}");
        if (DModel % DecoderAttentionHeads != 0) throw new InvalidDataException($"{source}: d_model {DModel} is not divisible by decoder_attention_heads {DecoderAttentionHeads}");
        if (ModelType is not (Type or MarianType)) throw new InvalidDataException($"{source}: model_type '{ModelType}' is not '{Type}' or '{MarianType}'");
        if (ActivationFunction is not ("gelu" or "gelu_new" or "relu" or "swish" or "silu"))
            throw new InvalidDataException($"{source}: activation_function '{ActivationFunction}' is not supported (gelu, gelu_new, relu, swish, silu)");
        foreach (var (id, key) in new[] { ((int?)PadTokenId, "pad_token_id"), (EosTokenId, "eos_token_id"), (DecoderStartTokenId, "decoder_start_token_id"), (BosTokenId, "bos_token_id"), (ForcedBosTokenId, "forced_bos_token_id"), (ForcedEosTokenId, "forced_eos_token_id") })
            if (id is int v && (v < 0 || v >= VocabSize)) throw new InvalidDataException($"{source}: {key} {v} is outside the vocabulary of {VocabSize}");
        foreach (var id in BadWordIds)
            if (id < 0 || id >= VocabSize) throw new InvalidDataException($"{source}: bad_words_ids names token {id}, outside the vocabulary of {VocabSize}");
        foreach (var (p, key) in new[] { (Dropout, "dropout"), (AttentionDropout, "attention_dropout"), (ActivationDropout, "activation_dropout") })
            if (!(p >= 0 && p < 1)) throw new InvalidDataException($"{source}: {key} {p} must be in [0, 1)");
        if (!(InitStd > 0) || !float.IsFinite(InitStd)) throw new InvalidDataException($"{source}: init_std {InitStd} must be a positive number");
    }

    /// <summary>Parameters of the model this config describes (the shared embedding once, an untied head, BART's learned positions).</summary>
    public long ParameterCount
    {
        get
        {
            long d = DModel;
            long attention = 4 * (d * d + d);
            long norm = 2 * d;
            long encoderLayer = attention + norm + d * EncoderFfnDim + EncoderFfnDim + EncoderFfnDim * d + d + norm;
            long decoderLayer = 2 * (attention + norm) + d * DecoderFfnDim + DecoderFfnDim + DecoderFfnDim * d + d + norm;
            long positions = SinusoidalPositions ? 0 : 2 * (MaxPositionEmbeddings + 2) * d + 2 * norm;
            return VocabSize * d + EncoderLayers * encoderLayer + DecoderLayers * decoderLayer + positions + (TieWordEmbeddings ? 0 : VocabSize * d);
        }
    }

    /// <summary>
    /// Reads and validates config.json text; <paramref name="source"/> names it in errors. Keys that would change the
    /// computation and are not implemented (pre-norm layers, layer drop, a separate decoder vocabulary, unshared
    /// embeddings, multi-token bad_words_ids) are refused by name.
    /// </summary>
    public static BartConfig FromJson(string json, string source)
    {
        var c = JsonSection.Parse(json, source);
        var modelType = c.String("model_type");
        if (modelType is not (Type or MarianType)) throw c.Error("model_type", $"'{modelType}' is not '{Type}' or '{MarianType}'");
        foreach (var key in new[] { "normalize_before", "add_final_layer_norm", "normalize_embedding" })
            if (c.Bool(key, false)) throw c.Error(key, "pre-norm layers (mBART) are not supported; BART's and Marian's post-norm layers are");
        foreach (var key in new[] { "encoder_layerdrop", "decoder_layerdrop" })
            if (c.OptionalDouble(key) is double drop && drop != 0) throw c.Error(key, $"{drop}: layer drop is not supported; set it to 0");
        int vocab = c.Int("vocab_size", 50265, 1);
        if (c.Has("decoder_vocab_size") && c.Int("decoder_vocab_size", vocab, 1) != vocab)
            throw c.Error("decoder_vocab_size", $"{c.Int("decoder_vocab_size", vocab, 1)} differs from vocab_size {vocab}: separate source and target vocabularies are not supported");
        if (!c.Bool("share_encoder_decoder_embeddings", true)) throw c.Error("share_encoder_decoder_embeddings", "false is not supported; the encoder and decoder share one embedding here");
        bool marian = modelType == MarianType;
        int pad = c.Int("pad_token_id", marian ? vocab - 1 : 1);
        int eos = c.IntOrList("eos_token_id") is { Length: > 0 } eosIds
            ? eosIds.Length == 1 ? eosIds[0] : throw c.Error("eos_token_id", "a list of end ids is not supported for encoder-decoders; give one id")
            : marian ? 0 : 2;
        var config = new BartConfig
        {
            ModelType = modelType,
            Architectures = c.Has("architectures") ? c.Array("architectures").Select((a, i) => a?.GetValue<string>() ?? throw c.Error($"architectures[{i}]", "is null")).ToArray() : [],
            VocabSize = vocab,
            DModel = c.Int("d_model", 1024, 1),
            EncoderLayers = c.Int("encoder_layers", 12, 1),
            DecoderLayers = c.Int("decoder_layers", 12, 1),
            EncoderAttentionHeads = c.Int("encoder_attention_heads", 16, 1),
            DecoderAttentionHeads = c.Int("decoder_attention_heads", 16, 1),
            EncoderFfnDim = c.Int("encoder_ffn_dim", 4096, 1),
            DecoderFfnDim = c.Int("decoder_ffn_dim", 4096, 1),
            ActivationFunction = c.OptionalString("activation_function") ?? "gelu",
            MaxPositionEmbeddings = c.Int("max_position_embeddings", 1024, 1),
            ScaleEmbedding = c.Bool("scale_embedding", false),
            Dropout = (float)(c.OptionalDouble("dropout") ?? 0.1),
            AttentionDropout = (float)(c.OptionalDouble("attention_dropout") ?? 0.0),
            ActivationDropout = (float)(c.OptionalDouble("activation_dropout") ?? 0.0),
            InitStd = (float)(c.OptionalDouble("init_std") ?? 0.02),
            PadTokenId = pad,
            BosTokenId = c.Has("bos_token_id") ? c.Int("bos_token_id", 0) : marian ? null : 0,
            EosTokenId = eos,
            DecoderStartTokenId = c.Int("decoder_start_token_id", marian ? pad : eos),
            ForcedBosTokenId = c.Has("forced_bos_token_id") ? c.Int("forced_bos_token_id", 0) : null,
            ForcedEosTokenId = c.Has("forced_eos_token_id") ? c.Int("forced_eos_token_id", 0) : null,
            BadWordIds = ReadBadWords(c),
            TieWordEmbeddings = c.Bool("tie_word_embeddings", true),
            Quantization = Compression.QuantizationConfig.Read(c),
        };
        config.Quantization?.Validate(source);
        config.Validate(source);
        return config;
    }

    // bad_words_ids is a list of token sequences; only single tokens (what Marian uses to keep pad out) are supported.
    private static int[] ReadBadWords(JsonSection c)
    {
        if (!c.Has("bad_words_ids")) return [];
        var list = c.Array("bad_words_ids");
        var ids = new int[list.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            if (list[i] is not JsonArray words || words.Count != 1 || !JsonSection.TryGetInteger(words[0], out long id) || id < 0 || id > int.MaxValue)
                throw c.Error($"bad_words_ids[{i}]", $"is {JsonSection.Describe(list[i])}; only single-token entries such as [[{c.Int("pad_token_id", 0)}]] are supported");
            ids[i] = (int)id;
        }
        return ids;
    }

    /// <summary>
    /// config.json in Hugging Face's names (what transformers' BartConfig or MarianConfig reads), indented.
    /// </summary>
    public string ToJson()
    {
        var root = new JsonObject
        {
            ["model_type"] = ModelType,
            ["architectures"] = new JsonArray((Architectures.Length > 0 ? Architectures : [IsMarian ? "MarianMTModel" : "BartForConditionalGeneration"]).Select(a => (JsonNode)a).ToArray()),
            ["vocab_size"] = VocabSize,
            ["d_model"] = DModel,
            ["encoder_layers"] = EncoderLayers,
            ["decoder_layers"] = DecoderLayers,
            ["encoder_attention_heads"] = EncoderAttentionHeads,
            ["decoder_attention_heads"] = DecoderAttentionHeads,
            ["encoder_ffn_dim"] = EncoderFfnDim,
            ["decoder_ffn_dim"] = DecoderFfnDim,
            ["activation_function"] = ActivationFunction,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["scale_embedding"] = ScaleEmbedding,
            ["dropout"] = Dropout,
            ["attention_dropout"] = AttentionDropout,
            ["activation_dropout"] = ActivationDropout,
            ["init_std"] = InitStd,
            ["pad_token_id"] = PadTokenId,
            ["eos_token_id"] = EosTokenId,
            ["decoder_start_token_id"] = DecoderStartTokenId,
            ["is_encoder_decoder"] = true,
            ["tie_word_embeddings"] = TieWordEmbeddings,
        };
        if (BosTokenId != null) root["bos_token_id"] = BosTokenId;
        if (ForcedBosTokenId != null) root["forced_bos_token_id"] = ForcedBosTokenId;
        if (ForcedEosTokenId != null) root["forced_eos_token_id"] = ForcedEosTokenId;
        if (BadWordIds.Length > 0) root["bad_words_ids"] = new JsonArray(BadWordIds.Select(id => (JsonNode)new JsonArray(id)).ToArray());
        if (IsMarian) root["share_encoder_decoder_embeddings"] = true;
        if (Quantization != null) root["quantization"] = JsonSerializer.SerializeToNode(Quantization);
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
