using Sapling.Models;

namespace Sapling.Inference;

/// <summary>
/// transformers' logits processors for encoder-decoder generation, applied to one row of scores (logits for greedy
/// search and sampling, log-probabilities for beam search): a banned token gets −∞, a forced one leaves every other at
/// −∞. The target so far includes the decoder's start token, as transformers counts it.
/// </summary>
internal sealed class Seq2SeqLogitsProcessor(Seq2SeqGenerationOptions options, Seq2SeqDefaults defaults, int eosTokenId, int maxLength)
{
    public void Apply(Span<float> scores, IReadOnlyList<int> target)
    {
        int length = target.Count;
        int n = options.NoRepeatNgramSize;
        if (n > 0 && length + 1 >= n) BanRepeatedNgrams(scores, target, n);
        foreach (int id in defaults.BadWordIds) scores[id] = float.NegativeInfinity;
        if (length < options.MinLength) scores[eosTokenId] = float.NegativeInfinity;
        if (length == 1 && defaults.ForcedBosTokenId is int bos) Force(scores, bos);
        if (length == maxLength - 1 && defaults.ForcedEosTokenId is int eos) Force(scores, eos);
    }

    // Every earlier n-gram whose first n − 1 tokens equal the target's last n − 1 bans its last token.
    private static void BanRepeatedNgrams(Span<float> scores, IReadOnlyList<int> target, int n)
    {
        int length = target.Count, prefix = n - 1;
        for (int start = 0; start + n <= length; start++)
        {
            bool same = true;
            for (int j = 0; j < prefix && same; j++) same = target[start + j] == target[length - prefix + j];
            if (same) scores[target[start + prefix]] = float.NegativeInfinity;
        }
    }

    private static void Force(Span<float> scores, int id)
    {
        scores.Fill(float.NegativeInfinity);
        scores[id] = 0f;
    }
}
