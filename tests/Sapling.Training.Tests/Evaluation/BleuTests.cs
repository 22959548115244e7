using Sapling.Training.Evaluation;

namespace Sapling.Training.Tests.Evaluation;

public class BleuTests
{
    /// <summary>Issue 7's bar for agreement with NLTK.</summary>
    private const double Tolerance = 1e-6;

    [Theory]
    [MemberData(nameof(GenerationMetricFixtures.Names), MemberType = typeof(GenerationMetricFixtures))]
    public void CorpusBleuMatchesNltkUnderEverySmoothing(string name)
    {
        var c = GenerationMetricFixtures.Case(name);
        for (int method = 0; method <= 4; method++)
        {
            var options = new BleuOptions { Smoothing = (BleuSmoothing)method };
            Assert.Equal(c.Score("bleu", $"method{method}"), Bleu.Corpus(c.ReferenceLists, c.HypothesisLists, options).Score, Tolerance);
        }
    }

    [Theory]
    [MemberData(nameof(GenerationMetricFixtures.Names), MemberType = typeof(GenerationMetricFixtures))]
    public void UntokenisedLinesGiveTheSameScore(string name)
    {
        var c = GenerationMetricFixtures.Case(name);
        Assert.Equal(c.Score("bleu", "method1"), Bleu.Corpus(c.ReferenceLines, c.Hypotheses, c.Tokenize, new BleuOptions { Smoothing = BleuSmoothing.Epsilon }).Score, Tolerance);
    }

    [Theory]
    [MemberData(nameof(GenerationMetricFixtures.Names), MemberType = typeof(GenerationMetricFixtures))]
    public void CustomWeightsMatchNltk(string name)
    {
        var c = GenerationMetricFixtures.Case(name);
        Assert.Equal(c.Score("bleu2"), Bleu.Corpus(c.ReferenceLists, c.HypothesisLists, BleuOptions.UpTo(2)).Score, Tolerance);
    }

    [Theory]
    [MemberData(nameof(GenerationMetricFixtures.Names), MemberType = typeof(GenerationMetricFixtures))]
    public void SentenceBleuMatchesNltk(string name)
    {
        var c = GenerationMetricFixtures.Case(name);
        foreach (var (key, smoothing) in new[] { ("method0", BleuSmoothing.None), ("method1", BleuSmoothing.Epsilon) })
        {
            var expected = c.Expected.GetProperty("sentence_bleu").GetProperty(key).EnumerateArray().Select(x => x.GetDouble()).ToArray();
            for (int i = 0; i < expected.Length; i++)
                Assert.Equal(expected[i], Bleu.Sentence(c.ReferenceLists[i], c.HypothesisLists[i], new BleuOptions { Smoothing = smoothing }).Score, Tolerance);
        }
    }

    [Fact]
    public void BrevityPenaltyUsesTheClosestReferenceAndPrefersTheShorterOnATie()
    {
        string[] Words(string s) => s.Split(' ');
        // Papineni et al.'s example in NLTK's docs: references of 13 and 2 tokens, hypothesis of 12.
        Assert.Equal(13, Bleu.ClosestReferenceLength([Words("a b c d e f g h i j k l m"), Words("a b")], 12));
        Assert.Equal(4, Bleu.ClosestReferenceLength([Words("a b c d e f"), Words("a b c d")], 5));
        Assert.Equal(1.0, Bleu.BrevityPenalty(12, 12));
        Assert.Equal(Math.Exp(1 - 13.0 / 12), Bleu.BrevityPenalty(13, 12), 1e-15);
        Assert.Equal(0.0, Bleu.BrevityPenalty(5, 0));
    }

    [Fact]
    public void ScoreReportsTheCountsItCameFrom()
    {
        var c = GenerationMetricFixtures.Case("english_short_hypothesis");
        var score = Bleu.Corpus(c.ReferenceLists, c.HypothesisLists);
        Assert.Equal(7, score.HypothesisLength);
        Assert.Equal(16, score.ReferenceLength);
        Assert.Equal([6L, 4, 2, 0], score.Matches);
        // "the cat sat" has no 4-gram; NLTK counts it as one so the corpus total is 1 + 1.
        Assert.Equal([7L, 5, 3, 2], score.Totals);
        Assert.True(score.BrevityPenalty < 1);
    }

    [Fact]
    public void MismatchedCountsAreAnError()
    {
        var e = Assert.Throws<ArgumentException>(() => Bleu.Corpus([[["a"]]], [["a"], ["b"]]));
        Assert.Contains("2 hypotheses but 1 reference sets", e.Message);
        Assert.Throws<ArgumentException>(() => Bleu.Corpus([[]], [["a"]]));
    }
}
