using Sapling.Training.Evaluation;
using Xunit.Abstractions;

namespace Sapling.Training.Tests.Evaluation;

/// <summary>The largest disagreement with the reference over all fixture cases, printed so it can be quoted.</summary>
public class GenerationMetricAgreementTests(ITestOutputHelper output)
{
    [Fact]
    public void LargestDifferenceFromTheReferencesIsBelowTheBar()
    {
        var worst = new Dictionary<string, double>();
        void Note(string metric, double expected, double actual) =>
            worst[metric] = Math.Max(worst.GetValueOrDefault(metric), Math.Abs(expected - actual));
        foreach (var c in GenerationMetricFixtures.Cases)
        {
            for (int m = 0; m <= 4; m++)
                Note($"bleu method{m}", c.Score("bleu", $"method{m}"), Bleu.Corpus(c.ReferenceLists, c.HypothesisLists, new BleuOptions { Smoothing = (BleuSmoothing)m }).Score);
            Note("bleu-2", c.Score("bleu2"), Bleu.Corpus(c.ReferenceLists, c.HypothesisLists, BleuOptions.UpTo(2)).Score);
            var sentences = c.Expected.GetProperty("sentence_bleu").GetProperty("method1").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            for (int i = 0; i < sentences.Length; i++)
                Note("sentence bleu", sentences[i], Bleu.Sentence(c.ReferenceLists[i], c.HypothesisLists[i], new BleuOptions { Smoothing = BleuSmoothing.Epsilon }).Score);
            var first = c.References.Select(r => (IReadOnlyList<string>)new[] { r[0] }).ToArray();
            Note("chrf beta2", c.Score("chrf", "beta2"), ChrF.Corpus(first, c.Hypotheses));
            Note("chrf beta3", c.Score("chrf", "beta3"), ChrF.Corpus(first, c.Hypotheses, new ChrFOptions { Beta = 3 }));
            Note("chrf multi-reference", c.Score("chrf_multi"), ChrF.Corpus(c.ReferenceLines, c.Hypotheses));
            Note("rouge-l f", c.Score("rouge_l", "f"), RougeL.Corpus(c.ReferenceLists, c.HypothesisLists).F);
        }
        foreach (var (metric, difference) in worst) output.WriteLine($"{metric}: max |difference| {difference:E2}");
        Assert.All(worst.Values, d => Assert.True(d < 1e-6));
    }
}
