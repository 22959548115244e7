using System.Text.Json;
using System.Text.Json.Serialization;
using Sapling.Data.Json;

namespace Sapling.Models.Compression;

/// <summary>
/// The "quantization" entry of a quantized folder's config.json: how the weights were stored and which layers hold
/// int8 weights. A loader reads it to put those layers in their int8 form before the weights are copied in.
/// </summary>
public sealed record QuantizationConfig
{
    /// <summary>The only scheme supported: int8 weights with one symmetric scale per output channel.</summary>
    public const string SchemeName = "symmetric_per_channel";

    /// <summary>The config's "quantization" entry, or null for a float folder.</summary>
    public static QuantizationConfig? Read(JsonSection config) => config.OptionalObject("quantization") is JsonSection q
        ? q.Node.Deserialize<QuantizationConfig>() ?? throw config.Error("quantization", "is empty")
        : null;

    /// <summary>bits: bits per stored weight; only 8 is supported.</summary>
    [JsonPropertyName("bits")] public int Bits { get; init; } = 8;

    /// <summary>int8 weights, scale = max|w_row| / 127 per output channel, zero point 0.</summary>
    [JsonPropertyName("scheme")] public string Scheme { get; init; } = SchemeName;

    /// <summary>Activations are quantised per row at run time (dynamic quantisation); nothing is calibrated.</summary>
    [JsonPropertyName("activations")] public string Activations { get; init; } = "dynamic_int8_per_row";

    /// <summary>Module paths whose "weight" is I8 with a "weight_scale" beside it.</summary>
    [JsonPropertyName("modules")] public string[] Modules { get; init; } = [];

    /// <summary>What stays float32, in words (e.g. the embeddings and the tied output head).</summary>
    [JsonPropertyName("float_modules")] public string? FloatModules { get; init; }

    /// <summary>
    /// Refuses an entry Sapling cannot load: bits other than 8, another scheme, or no modules listed.
    /// <paramref name="source"/> names the config in the error.
    /// </summary>
    public void Validate(string source)
    {
        if (Bits != 8) throw new InvalidDataException($"{source}: quantization.bits is {Bits}; only 8 bits is supported");
        if (Scheme != SchemeName) throw new InvalidDataException($"{source}: quantization.scheme '{Scheme}' is not {SchemeName}");
        if (Modules.Length == 0) throw new InvalidDataException($"{source}: quantization.modules lists no layer");
    }
}
