using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sapling.Data.Json;
using Sapling.NN;

namespace Sapling.Models.Llama;

/// <summary>
/// A Llama-family decoder configured with Hugging Face's config.json names. One record serves the four layouts that
/// differ only in small ways, each told apart by <c>model_type</c>:
/// <list type="bullet">
/// <item><c>llama</c> (Llama 2, Llama 3.x, TinyLlama): biases only where <c>attention_bias</c> / <c>mlp_bias</c> say;</item>
/// <item><c>mistral</c>: no biases, sliding-window attention when <c>sliding_window</c> is set;</item>
/// <item><c>qwen2</c> (Qwen2, Qwen2.5): biases on the q, k and v projections, none on o;</item>
/// <item><c>qwen3</c>: per-head RMSNorm of queries and keys, <c>head_dim</c> given explicitly.</item>
/// </list>
/// </summary>
public sealed record LlamaConfig
{
    /// <summary>The model_type values this config accepts: llama, mistral, qwen2 and qwen3.</summary>
    public static IReadOnlyList<string> ModelTypes { get; } = ["llama", "mistral", "qwen2", "qwen3"];

    /// <summary>model_type: which layout of the family (llama, mistral, qwen2, qwen3); default "llama".</summary>
    public string ModelType { get; init; } = "llama";
    /// <summary>architectures: the transformers class names, kept for the folder Sapling writes back.</summary>
    public string[] Architectures { get; init; } = ["LlamaForCausalLM"];
    /// <summary>vocab_size: rows of the token embedding and width of the output layer; default 32000.</summary>
    public int VocabSize { get; init; } = 32000;
    /// <summary>hidden_size: width of the residual stream and of every token embedding; default 4096.</summary>
    public int HiddenSize { get; init; } = 4096;
    /// <summary>intermediate_size: width of the SwiGLU MLP's gate and up projections; default 11008.</summary>
    public int IntermediateSize { get; init; } = 11008;
    /// <summary>num_hidden_layers: decoder layers; default 32.</summary>
    public int NumHiddenLayers { get; init; } = 32;
    /// <summary>num_attention_heads: query heads per layer; default 32.</summary>
    public int NumAttentionHeads { get; init; } = 32;
    /// <summary>
    /// num_key_value_heads: key/value heads per layer, fewer than the query heads for grouped-query attention; it must
    /// divide num_attention_heads. When config.json omits it, it equals num_attention_heads.
    /// </summary>
    public int NumKeyValueHeads { get; init; } = 32;
    /// <summary>
    /// head_dim: width of each attention head; when config.json omits it, hidden_size / num_attention_heads.
    /// </summary>
    public int HeadDim { get; init; } = 128;
    /// <summary>
    /// max_position_embeddings: the context length, the most positions a sequence may reach (unless dynamic rope
    /// scaling stretches it); default 2048.
    /// </summary>
    public int MaxPositionEmbeddings { get; init; } = 2048;
    /// <summary>rms_norm_eps: the epsilon of every RMSNorm; default 1e-6.</summary>
    public float RmsNormEps { get; init; } = 1e-6f;
    /// <summary>rope_theta: base of the rotary embedding's frequencies; default 10000.</summary>
    public double RopeTheta { get; init; } = 10000.0;
    /// <summary>
    /// rope_scaling (or transformers 5's rope_parameters): how rotary positions are stretched for a longer context
    /// (linear, dynamic, llama3, yarn); none by default.
    /// </summary>
    public RopeScaling RopeScaling { get; init; } = RopeScaling.None;
    /// <summary>
    /// tie_word_embeddings: whether the output layer reuses the token embedding instead of its own lm_head.
    /// </summary>
    public bool TieWordEmbeddings { get; init; }

    /// <summary>Biases on the q, k and v projections.</summary>
    public bool QkvBias { get; init; }

    /// <summary>A bias on the output projection.</summary>
    public bool OutputBias { get; init; }

    /// <summary>Biases on the gate, up and down projections (llama's mlp_bias).</summary>
    public bool MlpBias { get; init; }

    /// <summary>Per-head RMSNorm of queries and keys before the rotation (Qwen3).</summary>
    public bool QkNorm { get; init; }

    /// <summary>Keys each query sees (Mistral's sliding_window); null: all earlier keys.</summary>
    public int? SlidingWindow { get; init; }

    /// <summary>bos_token_id: the beginning-of-sequence id; null when config.json names none.</summary>
    public int? BosTokenId { get; init; }

    /// <summary>End-of-sequence ids (config.json's eos_token_id may be one id or a list).</summary>
    public int[] EosTokenIds { get; init; } = [];
    /// <summary>
    /// pad_token_id: the padding id; null when config.json names none (many Llama checkpoints have none).
    /// </summary>
    public int? PadTokenId { get; init; }

    /// <summary>The dtype the weights were published in (torch_dtype / dtype), for the record.</summary>
    public string? TorchDtype { get; init; }

    /// <summary>Present when the folder's weights are int8 (see <see cref="Compression.QuantizationConfig"/>).</summary>
    public Compression.QuantizationConfig? Quantization { get; init; }

    /// <summary>Query heads that share one key/value head.</summary>
    public int KvGroups => NumAttentionHeads / NumKeyValueHeads;

    /// <summary>
    /// Reads config.json. Keys Sapling cannot honour are refused by name (hidden_act other than silu, a partial
    /// rotary factor, attention dropout, Qwen's use_sliding_window), rather than silently computing something else.
    /// </summary>
    public static LlamaConfig FromJson(string json, string source)
    {
        var c = JsonSection.Parse(json, source);
        string type = c.String("model_type");
        if (!ModelTypes.Contains(type))
            throw c.Error("model_type", $"'{type}' is not a Llama-family type ({string.Join(", ", ModelTypes)})");
        int hidden = c.Int("hidden_size", 4096, 1);
        int heads = c.Int("num_attention_heads", 32, 1);
        string act = c.OptionalString("hidden_act") ?? "silu";
        if (act != "silu") throw c.Error("hidden_act", $"'{act}' is not supported; Llama-family MLPs here use silu (SwiGLU)");
        if (c.OptionalDouble("partial_rotary_factor") is double partial && partial != 1.0)
            throw c.Error("partial_rotary_factor", $"{partial} is not supported; the whole head dimension is rotated");
        if (c.OptionalDouble("attention_dropout") is double dropout && dropout != 0)
            throw c.Error("attention_dropout", $"{dropout} is not supported; the fused attention has no dropout (set it to 0.0)");
        if (type is "qwen2" or "qwen3" && c.Bool("use_sliding_window", false))
            throw c.Error("use_sliding_window", "true is not supported for Qwen models (their per-layer window schedule); set it to false");
        bool attentionBias = c.Bool("attention_bias", false);
        var rope = ReadRope(c, out double theta);
        var config = new LlamaConfig
        {
            ModelType = type,
            Architectures = c.Has("architectures") ? c.Array("architectures").Select((a, i) => a?.GetValue<string>() ?? throw c.Error($"architectures[{i}]", "is null")).ToArray() : [DefaultArchitecture(type)],
            VocabSize = c.Int("vocab_size", 32000, 1),
            HiddenSize = hidden,
            IntermediateSize = c.Int("intermediate_size", 11008, 1),
            NumHiddenLayers = c.Int("num_hidden_layers", 32, 1),
            NumAttentionHeads = heads,
            NumKeyValueHeads = c.Int("num_key_value_heads", heads, 1),
            HeadDim = c.Node["head_dim"] is null ? hidden / heads : c.Int("head_dim", 0, 1),
            MaxPositionEmbeddings = c.Int("max_position_embeddings", 2048, 1),
            RmsNormEps = (float)(c.OptionalDouble("rms_norm_eps") ?? 1e-6),
            RopeTheta = theta,
            RopeScaling = rope,
            TieWordEmbeddings = c.Bool("tie_word_embeddings", false),
            QkvBias = type == "qwen2" || (type is "llama" or "qwen3" && attentionBias),
            OutputBias = type is "llama" or "qwen3" && attentionBias,
            MlpBias = type == "llama" && c.Bool("mlp_bias", false),
            QkNorm = type == "qwen3",
            SlidingWindow = type == "mistral" && c.Node["sliding_window"] is not null ? c.Int("sliding_window", 0, 1) : null,
            BosTokenId = OptionalId(c, "bos_token_id"),
            EosTokenIds = c.IntOrList("eos_token_id"),
            PadTokenId = OptionalId(c, "pad_token_id"),
            TorchDtype = c.OptionalString("torch_dtype") ?? c.OptionalString("dtype"),
            Quantization = Compression.QuantizationConfig.Read(c),
        };
        config.Validate(source);
        config.Quantization?.Validate(source);
        return config;
    }

    private static string DefaultArchitecture(string type) => type switch
    {
        "mistral" => "MistralForCausalLM",
        "qwen2" => "Qwen2ForCausalLM",
        "qwen3" => "Qwen3ForCausalLM",
        _ => "LlamaForCausalLM",
    };

    private static int? OptionalId(JsonSection c, string key) => c.Node[key] is null ? null : c.Int(key, 0);

    /// <summary>rope_theta and rope_scaling (transformers 4.x), or rope_parameters (transformers 5).</summary>
    private static RopeScaling ReadRope(JsonSection c, out double theta)
    {
        theta = c.OptionalDouble("rope_theta") ?? 10000.0;
        var section = c.OptionalObject("rope_parameters") ?? c.OptionalObject("rope_scaling");
        if (section is not { } r) return RopeScaling.None;
        if (r.OptionalDouble("rope_theta") is double t) theta = t;
        string type = r.OptionalString("rope_type") ?? r.OptionalString("type") ?? "default";
        var kind = type switch
        {
            "default" => RopeType.Default,
            "linear" => RopeType.Linear,
            "dynamic" => RopeType.Dynamic,
            "llama3" => RopeType.Llama3,
            "yarn" => RopeType.Yarn,
            _ => throw r.Error("rope_type", $"'{type}' is not supported (default, linear, dynamic, llama3, yarn)"),
        };
        double factor = r.OptionalDouble("factor") ?? 1.0;
        if (kind != RopeType.Default && !(factor >= 1.0)) throw r.Error("factor", $"{factor} must be at least 1");
        return new RopeScaling
        {
            Type = kind,
            Factor = factor,
            OriginalMaxPositionEmbeddings = r.Node["original_max_position_embeddings"] is null ? null : r.Int("original_max_position_embeddings", 0, 1),
            LowFreqFactor = r.OptionalDouble("low_freq_factor") ?? 1.0,
            HighFreqFactor = r.OptionalDouble("high_freq_factor") ?? 4.0,
            BetaFast = r.OptionalDouble("beta_fast") ?? 32.0,
            BetaSlow = r.OptionalDouble("beta_slow") ?? 1.0,
            Mscale = r.OptionalDouble("mscale"),
            MscaleAllDim = r.OptionalDouble("mscale_all_dim"),
            AttentionFactor = r.OptionalDouble("attention_factor"),
            Truncate = r.Bool("truncate", true),
        };
    }

    /// <summary>
    /// Refuses a config the model cannot be built from: query heads not a multiple of key/value heads, an odd head_dim,
    /// a non-positive rms_norm_eps, llama3 frequency factors out of order, an eos id outside the vocabulary, or a
    /// matrix larger than one tensor can hold. <paramref name="source"/> names the config in the error.
    /// </summary>
    public void Validate(string source)
    {
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            throw new InvalidDataException($"{source}: num_attention_heads {NumAttentionHeads} is not a multiple of num_key_value_heads {NumKeyValueHeads}");
        if (HeadDim % 2 != 0) throw new InvalidDataException($"{source}: head_dim {HeadDim} must be even for the rotary embedding");
        if (!(RmsNormEps > 0) || !float.IsFinite(RmsNormEps)) throw new InvalidDataException($"{source}: rms_norm_eps must be a small positive number, got {RmsNormEps}");
        if (RopeScaling.Type == RopeType.Llama3 && !(RopeScaling.HighFreqFactor > RopeScaling.LowFreqFactor))
            throw new InvalidDataException($"{source}: rope_scaling.high_freq_factor ({RopeScaling.HighFreqFactor}) must exceed low_freq_factor ({RopeScaling.LowFreqFactor})");
        foreach (var id in EosTokenIds)
            if (id >= VocabSize) throw new InvalidDataException($"{source}: eos_token_id {id} is outside the vocabulary of {VocabSize}");
        foreach (var (what, rows, columns) in new[] { ("vocab_size × hidden_size", (long)VocabSize, (long)HiddenSize), ("intermediate_size × hidden_size", IntermediateSize, HiddenSize), ("heads × head_dim × hidden_size", (long)NumAttentionHeads * HeadDim, HiddenSize) })
            if (rows * columns > Array.MaxLength) throw new InvalidDataException($"{source}: {what} = {rows * columns:N0} weights is more than one tensor can hold");
    }

    /// <summary>
    /// Parameters the config describes, counted before anything is allocated, so a config can be checked against its
    /// checkpoint's size.
    /// </summary>
    public long ParameterCount
    {
        get
        {
            long e = HiddenSize, q = (long)NumAttentionHeads * HeadDim, kv = (long)NumKeyValueHeads * HeadDim, f = IntermediateSize;
            long attention = e * q + 2 * e * kv + q * e + (QkvBias ? q + 2 * kv : 0) + (OutputBias ? e : 0) + (QkNorm ? 2L * HeadDim : 0);
            long mlp = 3 * e * f + (MlpBias ? 2 * f + e : 0);
            long layer = attention + mlp + 2 * e;
            long embeddings = (long)VocabSize * e * (TieWordEmbeddings ? 1 : 2);
            return embeddings + NumHiddenLayers * layer + e;
        }
    }

    /// <summary>config.json in Hugging Face's names (what transformers' LlamaConfig, MistralConfig, Qwen2Config or Qwen3Config reads).</summary>
    public string ToJson()
    {
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray(Architectures.Select(a => (JsonNode)JsonValue.Create(a)!).ToArray()),
            ["model_type"] = ModelType,
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_attention_heads"] = NumAttentionHeads,
            ["num_key_value_heads"] = NumKeyValueHeads,
            ["head_dim"] = HeadDim,
            ["hidden_act"] = "silu",
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["rms_norm_eps"] = RmsNormEps,
            ["rope_theta"] = RopeTheta,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["attention_dropout"] = 0.0,
        };
        if (ModelType is "llama" or "qwen3") o["attention_bias"] = QkvBias;
        if (ModelType == "llama") o["mlp_bias"] = MlpBias;
        if (ModelType == "mistral") o["sliding_window"] = SlidingWindow;
        if (ModelType is "qwen2" or "qwen3") o["use_sliding_window"] = false;
        if (RopeScaling.Type != RopeType.Default) o["rope_scaling"] = RopeJson(RopeScaling);
        if (BosTokenId is int bos) o["bos_token_id"] = bos;
        if (EosTokenIds.Length == 1) o["eos_token_id"] = EosTokenIds[0];
        else if (EosTokenIds.Length > 1) o["eos_token_id"] = new JsonArray(EosTokenIds.Select(i => (JsonNode)JsonValue.Create(i)).ToArray());
        if (PadTokenId is int pad) o["pad_token_id"] = pad;
        if (TorchDtype != null) o["torch_dtype"] = TorchDtype;
        if (Quantization != null) o["quantization"] = JsonSerializer.SerializeToNode(Quantization);
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static JsonObject RopeJson(RopeScaling r)
    {
        var o = new JsonObject
        {
            ["rope_type"] = r.Type.ToString().ToLowerInvariant(),
            ["factor"] = r.Factor,
        };
        if (r.OriginalMaxPositionEmbeddings is int original) o["original_max_position_embeddings"] = original;
        if (r.Type == RopeType.Llama3)
        {
            o["low_freq_factor"] = r.LowFreqFactor;
            o["high_freq_factor"] = r.HighFreqFactor;
        }
        if (r.Type == RopeType.Yarn)
        {
            o["beta_fast"] = r.BetaFast;
            o["beta_slow"] = r.BetaSlow;
            if (r.Mscale is double m) o["mscale"] = m;
            if (r.MscaleAllDim is double ma) o["mscale_all_dim"] = ma;
            if (r.AttentionFactor is double af) o["attention_factor"] = af;
        }
        return o;
    }

    /// <summary>A one-line summary: type, layers, widths, heads and vocabulary.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{ModelType}: {NumHiddenLayers} layers, hidden {HiddenSize}, {NumAttentionHeads}/{NumKeyValueHeads} heads of {HeadDim}, FFN {IntermediateSize}, vocab {VocabSize}");
}
