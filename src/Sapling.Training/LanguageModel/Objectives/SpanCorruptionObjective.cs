using Sapling.Models;
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
public sealed class SpanCorruptionObjective : ILmObjective
{
    /// <summary>Sentinel tokens added to the vocabulary, as T5's SentencePiece vocabulary has them.</summary>
    public const int SentinelCount = Models.T5.T5Sentinels.DefaultCount;

    private readonly TokenData data;
    private readonly LmOptions options;
    private readonly int[] sentinels;
    private readonly int eosId;

    public SpanCorruptionObjective(TokenData data, ITokenizer tokenizer, LmOptions options)
    {
        (this.data, this.options) = (data, options);
        eosId = tokenizer.EndOfTextId >= 0 ? tokenizer.EndOfTextId : throw new InvalidDataException("span corruption needs an end-of-text token to end inputs and targets");
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

    public double? BaselineLoss => null;

    public bool WritesText => false;

    public (Tensor Loss, long Tokens) TrainingLoss(ITrainableModel model, long step)
    {
        var (windows, _) = data.TrainBatch(options.BatchSize, options.Context - 1, options.Seed, step);
        var (sources, targets) = CorruptBatch(windows, new Generator(options.Seed * 0xD1B54A32D192ED03UL ^ (ulong)step));
        return Seq2SeqObjective.TeacherForcedLoss(AsSeq2Seq(model), sources, targets, options.LabelSmoothing, Reduction.Mean);
    }

    public LmValidation Validate(ITrainableModel trainable)
    {
        var model = AsSeq2Seq(trainable);
        model.Network.Eval();
        using var _ = Autograd.NoGrad.Enter();
        double sum = 0;
        long count = 0;
        int batch = 0;
        foreach (var (windows, _) in TokenData.Windows(data.Validation, options.BatchSize, options.Context - 1, options.EvalBatches))
        {
            using var scope = new TensorScope();
            var (sources, targets) = CorruptBatch(windows, new Generator(0x5EED_0000UL + (ulong)batch++));
            var (loss, tokens) = Seq2SeqObjective.TeacherForcedLoss(model, sources, targets, 0f, Reduction.Sum);
            sum += loss.Item();
            count += tokens;
        }
        return LmValidation.OfLoss(sum / Math.Max(count, 1));
    }

    public string Describe() => $"span corruption ({options.SpanNoiseDensity:P0} of each {options.Context - 1}-token window in spans of {options.SpanMeanLength} on average) on {data.TrainLength:N0} training tokens, {data.Validation.Length:N0} validation tokens";

    private static ISeq2SeqLM AsSeq2Seq(ITrainableModel model) => model as ISeq2SeqLM
        ?? throw new NotSupportedException($"span corruption pre-trains encoder-decoders ({OptionNames.Of(nameof(LmOptions.Architecture))} t5), not model_type '{model.ModelType}'");

    private (int[][] Sources, int[][] Targets) CorruptBatch(Tensor windows, Generator g)
    {
        int b = windows.Shape[0], w = windows.Shape[1];
        var tokens = windows.ToArray<long>();
        var sources = new int[b][];
        var targets = new int[b][];
        var row = new int[w];
        for (int r = 0; r < b; r++)
        {
            for (int i = 0; i < w; i++) row[i] = (int)tokens[r * w + i];
            var (source, target) = Corrupt(row, NoiseMask(w, options.SpanNoiseDensity, options.SpanMeanLength, g), sentinels);
            (sources[r], targets[r]) = ([.. source, eosId], [.. target, eosId]);
        }
        return (sources, targets);
    }

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
