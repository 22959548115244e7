using Sapling.Data.Json;

namespace Sapling.Inference;

/// <summary>
/// A model folder's generation_config.json (Hugging Face's GenerationConfig): the sampling the publisher recommends
/// and the ids that end a sequence. Only what Sapling's sampler honours is read; values the caller set explicitly win.
/// </summary>
public sealed record GenerationConfig
{
    /// <summary>The file's name in a model folder.</summary>
    public const string FileName = "generation_config.json";

    /// <summary>eos_token_id (one id or a list): tokens that end generation; empty when the file names none.</summary>
    public int[] EosTokenIds { get; init; } = [];
    /// <summary>do_sample: false means greedy decoding; null when the file does not say.</summary>
    public bool? DoSample { get; init; }
    /// <summary>temperature: the recommended sampling temperature; null when the file does not say.</summary>
    public float? Temperature { get; init; }
    /// <summary>top_p: the recommended nucleus-sampling threshold; null when the file does not say.</summary>
    public float? TopP { get; init; }
    /// <summary>top_k: the recommended number of tokens to sample among; null when the file does not say.</summary>
    public int? TopK { get; init; }
    /// <summary>repetition_penalty: the recommended penalty on repeats; null when the file does not say.</summary>
    public float? RepetitionPenalty { get; init; }
    /// <summary>max_new_tokens: the recommended answer length (at least 1); null when the file does not say.</summary>
    public int? MaxNewTokens { get; init; }

    /// <summary>The folder's generation_config.json, or null when it has none.</summary>
    public static GenerationConfig? Load(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return null;
        System.Text.Json.Nodes.JsonObject root;
        try
        {
            root = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path)) as System.Text.Json.Nodes.JsonObject
                ?? throw new InvalidDataException($"{path}: not a JSON object");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
        var c = new JsonSection(root, "$", path);
        return new GenerationConfig
        {
            EosTokenIds = c.IntOrList("eos_token_id"),
            DoSample = c.Has("do_sample") ? c.Bool("do_sample", false) : null,
            Temperature = (float?)c.OptionalDouble("temperature"),
            TopP = (float?)c.OptionalDouble("top_p"),
            TopK = c.Has("top_k") ? c.Int("top_k", 0) : null,
            RepetitionPenalty = (float?)c.OptionalDouble("repetition_penalty"),
            MaxNewTokens = c.Has("max_new_tokens") ? c.Int("max_new_tokens", 0, 1) : null,
        };
    }

    /// <summary>
    /// <paramref name="options"/> with this config's values for the settings the caller left at their defaults
    /// (<paramref name="given"/> names those set explicitly: "temperature", "top_p", "top_k", "repetition_penalty",
    /// "max_new_tokens"). do_sample false means greedy.
    /// </summary>
    public SamplingOptions ApplyTo(SamplingOptions options, IReadOnlySet<string> given)
    {
        var o = options;
        if (!given.Contains("temperature"))
        {
            if (DoSample == false) o = o with { Temperature = 0f };
            else if (Temperature is float t) o = o with { Temperature = t };
        }
        if (!given.Contains("top_p") && TopP is float p) o = o with { TopP = p };
        if (!given.Contains("top_k") && TopK is int k) o = o with { TopK = k };
        if (!given.Contains("repetition_penalty") && RepetitionPenalty is float r) o = o with { RepetitionPenalty = r };
        if (!given.Contains("max_new_tokens") && MaxNewTokens is int n) o = o with { MaxNewTokens = n };
        return o;
    }
}
