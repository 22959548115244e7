using Sapling.Data.Text;

namespace Sapling.Training.LanguageModel.Objectives;

/// <summary>
/// T5's pre-training objective (Raffel et al., 2020, §3.1.4), span corruption: in each window of the token stream about
/// 15% of the tokens, in spans of 3 on average, are cut out and each span replaced by a sentinel (&lt;extra_id_0&gt;,
/// &lt;extra_id_1&gt;, ...); the encoder reads what is left and the decoder writes the spans, each behind its sentinel. The
/// spans are drawn as transformers' run_t5_mlm_flax draws them (random_spans_noise_mask): a window of n tokens has
/// round(0.15·n) noise tokens in round(noise / 3) spans, noise and kept tokens each cut into that many random non-empty
/// pieces and interleaved, kept first. Validation corrupts fixed windows with a fixed seed.
/// </summary>
public sealed class SpanCorruptionObjective : CorruptedWindowsObjective
{
    /// <summary>Sentinel tokens added to the vocabulary, as T5's SentencePiece vocabulary has them.</summary>
    public const int SentinelCount = Models.T5.T5Sentinels.DefaultCount;

    private readonly int[] sentinels;

    /// <summary>
    /// Creates the objective; the tokenizer must hold the sentinels (<see cref="WithSentinels"/> adds them) and an
    /// end-of-text token.
    /// </summary>
    public SpanCorruptionObjective(TokenData data, ITokenizer tokenizer, LmOptions options)
        : base(data, tokenizer, options, trainSeedFactor: 0xD1B54A32D192ED03UL, validationSeed: 0x5EED_0000UL, "span corruption", "t5")
    {
        sentinels = new int[SentinelCount];
        for (int i = 0; i < SentinelCount; i++)
            sentinels[i] = tokenizer.IdOf(Sentinel(i)) is >= 0 and var id ? id : throw new InvalidDataException($"span corruption needs the sentinel {Sentinel(i)} in the vocabulary (see WithSentinels)");
    }

    /// <summary>The name of sentinel <paramref name="i"/>.</summary>
    public static string Sentinel(int i) => Models.T5.T5Sentinels.Name(i);

    /// <summary>
    /// The tokenizer with &lt;pad&gt; and the sentinels added where missing; the sentinels come last in reverse order, so
    /// &lt;extra_id_0&gt; is the last id, as in T5's vocabulary.
    /// </summary>
    public static ITokenizer WithSentinels(ITokenizer tokenizer) => Models.T5.T5Sentinels.AddTo(tokenizer, SentinelCount, Seq2SeqModels.PadToken);

    /// <inheritdoc/>
    public override string Describe() => $"span corruption ({Options.SpanNoiseDensity:P0} of each {Options.Context - 1}-token window in spans of {Options.SpanMeanLength} on average) on {Data.TrainLength:N0} training tokens, {Data.Validation.Length:N0} validation tokens";

    /// <inheritdoc/>
    protected override (int[] Source, int[] Target) CorruptWindow(int[] window, Generator g) =>
        Corrupt(window, NoiseMask(window.Length, Options.SpanNoiseDensity, Options.SpanMeanLength, g), sentinels);

    /// <summary>Which of <paramref name="length"/> positions are noise: spans of noise interleaved with kept spans, kept first.</summary>
    public static bool[] NoiseMask(int length, double density, double meanSpanLength, Generator g)
    {
        if (length < 2) throw new ArgumentException($"span corruption needs windows of at least 2 tokens, got {length}");
        int noise = Math.Clamp((int)Math.Round(length * density, MidpointRounding.ToEven), 1, length - 1);
        int kept = length - noise;
        int spans = Math.Max(1, (int)Math.Round(Math.Min(noise, kept) / meanSpanLength, MidpointRounding.ToEven));
        var noiseLengths = Segment(noise, spans, g);
        var keptLengths = Segment(kept, spans, g);
        var mask = new bool[length];
        int at = 0;
        for (int s = 0; s < spans; s++)
        {
            at += keptLengths[s];
            for (int i = 0; i < noiseLengths[s]; i++) mask[at++] = true;
        }
        return mask;
    }

    // items cut into `segments` non-empty pieces at random (the cut points are a random subset of the gaps).
    private static int[] Segment(int items, int segments, Generator g)
    {
        var cut = new bool[items - 1];
        for (int i = 0; i < segments - 1; i++) cut[i] = true;
        for (int i = cut.Length - 1; i > 0; i--)
        {
            int j = (int)g.NextInt64(0, i + 1);
            (cut[i], cut[j]) = (cut[j], cut[i]);
        }
        var lengths = new int[segments];
        int segment = 0;
        lengths[0] = 1;
        foreach (bool starts in cut)
        {
            if (starts) segment++;
            lengths[segment]++;
        }
        return lengths;
    }

    /// <summary>
    /// The encoder's input (kept tokens, each noise span replaced by the next sentinel) and the decoder's target (each
    /// noise span behind its sentinel; a final sentinel when the window ends with kept tokens), without eos.
    /// </summary>
    public static (int[] Source, int[] Target) Corrupt(ReadOnlySpan<int> tokens, bool[] noise, IReadOnlyList<int> sentinels)
    {
        var source = new List<int>(tokens.Length);
        var target = new List<int>(tokens.Length / 4 + 4);
        int sourceSpan = 0, targetSpan = 0;
        for (int i = 0; i < tokens.Length; i++)
        {
            bool starts = i == 0 || noise[i] != noise[i - 1];
            if (noise[i])
            {
                if (starts) source.Add(Next(sentinels, ref sourceSpan));
                target.Add(tokens[i]);
            }
            else
            {
                if (starts) target.Add(Next(sentinels, ref targetSpan));
                source.Add(tokens[i]);
            }
        }
        return (source.ToArray(), target.ToArray());
    }

    private static int Next(IReadOnlyList<int> sentinels, ref int used) => used < sentinels.Count ? sentinels[used++]
        : throw new InvalidOperationException($"a window has more than {sentinels.Count} spans; shorten {OptionNames.Of(nameof(LmOptions.Context))} or lower {OptionNames.Of(nameof(LmOptions.SpanNoiseDensity))}");
}
