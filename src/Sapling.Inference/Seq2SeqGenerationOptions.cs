namespace Sapling.Inference;

/// <summary>
/// How an encoder-decoder writes its targets, in transformers' generate() terms. Greedy by default; sampling with
/// <see cref="DoSample"/>; beam search with <see cref="NumBeams"/> above 1 (sampling inside beams is not supported).
/// </summary>
public sealed record Seq2SeqGenerationOptions
{
    /// <summary>Tokens generated after the decoder's start token, at most (eos included).</summary>
    public int MaxNewTokens { get; init; } = 256;

    /// <summary>transformers' min_length: eos is not allowed while a target (its start token counted) is shorter.</summary>
    public int MinLength { get; init; }

    /// <summary>Beams per source: 1 is greedy search or sampling, more is beam search (at most 1,024).</summary>
    public int NumBeams { get; init; } = 1;

    /// <summary>A finished beam scores sum(log p) / length^length_penalty: above 1 favours longer targets, below 1 shorter.</summary>
    public float LengthPenalty { get; init; } = 1f;

    /// <summary>true: a source is done as soon as num_beams targets have finished; false: when no live beam can still beat them.</summary>
    public bool EarlyStopping { get; init; }

    /// <summary>No n-gram of this size appears twice in a target; 0: no rule.</summary>
    public int NoRepeatNgramSize { get; init; }

    /// <summary>Sample instead of taking the most likely token (greedy search only).</summary>
    public bool DoSample { get; init; }

    /// <summary>
    /// Divides the logits before sampling; used only with <see cref="DoSample"/>, and must be positive.
    /// </summary>
    public float Temperature { get; init; } = 1f;
    /// <summary>Sample only among the k most likely tokens (0: all); used only with <see cref="DoSample"/>.</summary>
    public int TopK { get; init; }
    /// <summary>
    /// Sample only from the smallest set of tokens whose probabilities add up to p (1: all); used only with
    /// <see cref="DoSample"/>.
    /// </summary>
    public float TopP { get; init; } = 1f;
    /// <summary>
    /// Penalises tokens already in the target, as <see cref="SamplingOptions.RepetitionPenalty"/> does (1: none);
    /// applied in greedy search and sampling, not in beam search.
    /// </summary>
    public float RepetitionPenalty { get; init; } = 1f;
    /// <summary>Seed of the random stream that sampling draws from.</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// The search a model folder recommends: generation_config.json's num_beams, max_length / max_new_tokens, min_length,
    /// length_penalty, early_stopping and no_repeat_ngram_size, falling back to the same keys in config.json (older
    /// transformers folders keep them there, as opus-mt's do); the defaults where neither names one.
    /// </summary>
    public static Seq2SeqGenerationOptions FromFolder(string directory)
    {
        var options = new Seq2SeqGenerationOptions();
        foreach (var file in new[] { "config.json", GenerationConfig.FileName })
        {
            var path = Path.Combine(directory, file);
            if (!File.Exists(path)) continue;
            var c = Data.Json.JsonSection.Parse(File.ReadAllText(path), path);
            options = options with
            {
                NumBeams = c.Int("num_beams", options.NumBeams, 1, 1024),
                // max_length counts the decoder's start token.
                MaxNewTokens = c.Has("max_new_tokens") ? c.Int("max_new_tokens", 1, 1) : c.Has("max_length") ? Math.Max(1, c.Int("max_length", 2, 2) - 1) : options.MaxNewTokens,
                MinLength = c.Int("min_length", options.MinLength),
                LengthPenalty = (float)(c.OptionalDouble("length_penalty") ?? options.LengthPenalty),
                EarlyStopping = c.Node["early_stopping"] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue(out bool early) ? early : options.EarlyStopping,
                NoRepeatNgramSize = c.Int("no_repeat_ngram_size", options.NoRepeatNgramSize),
            };
        }
        return options;
    }

    /// <summary>
    /// Refuses settings out of range and sampling inside beam search, with an <see cref="ArgumentException"/> naming
    /// the transformers key.
    /// </summary>
    public void Validate()
    {
        if (MaxNewTokens < 1 || MaxNewTokens > 1_000_000) throw new ArgumentException($"max_new_tokens {MaxNewTokens} must be between 1 and 1,000,000");
        if (MinLength < 0) throw new ArgumentException($"min_length {MinLength} must not be negative");
        if (NumBeams < 1 || NumBeams > 1024) throw new ArgumentException($"num_beams {NumBeams} must be between 1 and 1,024");
        if (!float.IsFinite(LengthPenalty)) throw new ArgumentException($"length_penalty {LengthPenalty} must be a finite number");
        if (NoRepeatNgramSize < 0) throw new ArgumentException($"no_repeat_ngram_size {NoRepeatNgramSize} must not be negative");
        if (DoSample && NumBeams > 1) throw new ArgumentException($"do_sample with num_beams {NumBeams} (beam sampling) is not supported; sample with num_beams 1 or search without sampling");
        if (!(Temperature > 0) || !float.IsFinite(Temperature)) throw new ArgumentException($"temperature {Temperature} must be a positive number");
        if (TopK < 0) throw new ArgumentException($"top_k {TopK} must not be negative");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"top_p {TopP} must be in (0, 1]");
        if (!(RepetitionPenalty > 0) || !float.IsFinite(RepetitionPenalty)) throw new ArgumentException($"repetition_penalty {RepetitionPenalty} must be a positive number");
        if (RepetitionPenalty != 1f && NumBeams > 1) throw new ArgumentException($"repetition_penalty {RepetitionPenalty} with num_beams {NumBeams} is not supported (beam search does not apply it); use num_beams 1 or repetition_penalty 1");
    }
}
