using Sapling.Data.Text;

namespace Sapling.Training.LanguageModel.Objectives;

/// <summary>
/// BART's pre-training objective (Lewis et al., 2020, §2.2), as fairseq's denoising task applies it to BART-base and
/// -large: each window's sentences are shuffled (sentence permutation), then about 30% of its tokens are cut out in
/// spans whose lengths are drawn from Poisson(3.5), each span replaced by one &lt;mask&gt; (a span of length 0 inserts a
/// &lt;mask&gt;; one replacement in ten is a random token instead, fairseq's mask_random). The encoder reads the corrupted
/// text and the decoder writes the original window, in its original order. Spans are cut over tokens, not whole words
/// (fairseq masks whole words of its GPT-2 BPE); sentences end at tokens whose text ends with '.', '!' or '?'.
/// Validation corrupts fixed windows with a fixed seed.
/// </summary>
public sealed class DenoisingObjective : CorruptedWindowsObjective
{
    /// <summary>The token spans are replaced with, as in BART's vocabulary.</summary>
    public const string MaskToken = "<mask>";

    private readonly int maskId, vocabSize;
    private readonly bool[] endsSentence;

    /// <summary>
    /// Creates the objective; the tokenizer must hold <see cref="MaskToken"/> (<see cref="WithMask"/> adds it) and an
    /// end-of-text token.
    /// </summary>
    public DenoisingObjective(TokenData data, ITokenizer tokenizer, LmOptions options)
        : base(data, tokenizer, options, trainSeedFactor: 0x9E3779B97F4A7C15UL, validationSeed: 0xDE0_0000UL, "denoising", "bart or marian")
    {
        maskId = tokenizer.IdOf(MaskToken) is >= 0 and var id ? id : throw new InvalidDataException($"denoising needs {MaskToken} in the vocabulary (see WithMask)");
        vocabSize = tokenizer.VocabSize;
        endsSentence = new bool[vocabSize];
        for (int t = 0; t < vocabSize; t++)
        {
            string text;
            try
            {
                text = tokenizer.Decode([t]).TrimEnd();
            }
            catch (ArgumentOutOfRangeException)
            {
                continue;   // an id the vocabulary leaves unused
            }
            endsSentence[t] = text.Length > 0 && text[^1] is '.' or '!' or '?';
        }
        // A document's end is a sentence's end too: a shuffled sentence never runs across two documents.
        endsSentence[EosId] = true;
    }

    /// <summary>The tokenizer with &lt;pad&gt; and &lt;mask&gt; added where missing (the text's ids stay as they are).</summary>
    public static ITokenizer WithMask(ITokenizer tokenizer)
    {
        var missing = new List<string>();
        foreach (var token in new[] { Seq2SeqModels.PadToken, MaskToken })
            if (tokenizer.IdOf(token) < 0) missing.Add(token);
        return missing.Count == 0 ? tokenizer : tokenizer.WithSpecialTokens(missing);
    }

    /// <inheritdoc/>
    public override string Describe() => $"denoising ({(Options.PermuteSentences ? "sentences shuffled, " : "")}{Options.MaskRatio:P0} of each {Options.Context - 1}-token window masked in Poisson({Options.PoissonLambda}) spans) on {Data.TrainLength:N0} training tokens, {Data.Validation.Length:N0} validation tokens";

    /// <summary>The shuffled, infilled window and the window as it was.</summary>
    protected override (int[] Source, int[] Target) CorruptWindow(int[] window, Generator g)
    {
        var shuffled = Options.PermuteSentences ? PermuteSentences(window, endsSentence, g) : window;
        return (Infill(shuffled, Options.MaskRatio, Options.PoissonLambda, Options.MaskRandomRatio, maskId, vocabSize, g), window);
    }

    /// <summary>The window's sentences (each up to and including a token that ends one; the rest is the last) in a random order.</summary>
    public static int[] PermuteSentences(IReadOnlyList<int> tokens, bool[] endsSentence, Generator g)
    {
        var sentences = new List<(int Start, int Length)>();
        int start = 0;
        for (int i = 0; i < tokens.Count; i++)
            if ((uint)tokens[i] < (uint)endsSentence.Length && endsSentence[tokens[i]] || i == tokens.Count - 1)
            {
                sentences.Add((start, i + 1 - start));
                start = i + 1;
            }
        for (int i = sentences.Count - 1; i > 0; i--)
        {
            int j = (int)g.NextInt64(0, i + 1);
            (sentences[i], sentences[j]) = (sentences[j], sentences[i]);
        }
        var result = new int[tokens.Count];
        int at = 0;
        foreach (var (s, length) in sentences)
            for (int k = 0; k < length; k++) result[at++] = tokens[s + k];
        return result;
    }

    /// <summary>
    /// Text infilling: spans of Poisson(<paramref name="lambda"/>) tokens, started at random positions, are cut until
    /// <paramref name="ratio"/> of the tokens are covered (the last span trimmed to the budget); each span's first token
    /// becomes one mask and the rest are removed, and a span of length 0 inserts a mask. One mask in
    /// <paramref name="randomRatio"/>, cut or inserted, is a random token instead (fairseq's mask_random).
    /// </summary>
    public static int[] Infill(IReadOnlyList<int> tokens, double ratio, double lambda, double randomRatio, int maskId, int vocabSize, Generator g)
    {
        int n = tokens.Count;
        int toMask = (int)Math.Ceiling(n * ratio);
        var cut = new bool[n];
        var insertBefore = new bool[n];
        int covered = 0, inserted = 0;
        var spanStart = new bool[n];
        // Each span covers at least the token it starts at or inserts one mask, so this ends within n + toMask spans;
        // at most toMask insertions keep the source within n + toMask tokens (the model's positions allow twice the window).
        for (int spans = 0; covered < toMask && spans < n + toMask; spans++)
        {
            int length = Math.Min(Poisson(lambda, g), toMask - covered);
            int at = (int)g.NextInt64(0, n);
            if (length == 0)
            {
                if (inserted < toMask && !insertBefore[at]) (insertBefore[at], inserted) = (true, inserted + 1);
                continue;
            }
            // A span starting inside an earlier one extends it; one starting on a kept token gets its own mask.
            if (!cut[at]) spanStart[at] = true;
            for (int i = at; i < Math.Min(n, at + length); i++)
                if (!cut[i])
                {
                    cut[i] = true;
                    covered++;
                }
        }
        var source = new List<int>(n + inserted);
        int Replacement() => g.NextDouble() < randomRatio ? (int)g.NextInt64(0, vocabSize) : maskId;
        for (int i = 0; i < n; i++)
        {
            if (insertBefore[i]) source.Add(Replacement());
            if (!cut[i]) source.Add(tokens[i]);
            else if (spanStart[i] || i == 0 || !cut[i - 1]) source.Add(Replacement());
        }
        return [.. source];
    }

    // Knuth's method: the number of uniform draws whose product stays above e^−λ (λ is a few units here).
    private static int Poisson(double lambda, Generator g)
    {
        double limit = Math.Exp(-lambda), product = g.NextDouble();
        int k = 0;
        while (product > limit)
        {
            k++;
            product *= g.NextDouble();
        }
        return k;
    }
}
