using Sapling.Training.Evaluation;

namespace Sapling.Training.Tests.Evaluation;

public class RougeLTests
{
    private const double Tolerance = 1e-12;

    [Theory]
    [MemberData(nameof(GenerationMetricFixtures.Names), MemberType = typeof(GenerationMetricFixtures))]
    public void CorpusRougeLMatchesTheFixtureScript(string name)
    {
        var c = GenerationMetricFixtures.Case(name);
        var score = RougeL.Corpus(c.ReferenceLists, c.HypothesisLists);
        Assert.Equal(c.Score("rouge_l", "precision"), score.Precision, Tolerance);
        Assert.Equal(c.Score("rouge_l", "recall"), score.Recall, Tolerance);
        Assert.Equal(c.Score("rouge_l", "f"), score.F, Tolerance);
    }

    [Fact]
    public void LinsExampleByHand()
    {
        // Lin (2004) section 3.1: S1 = "police killed the gunman", S2 = "police kill the gunman": LCS = 3 of 4 words.
        string[] reference = ["police", "killed", "the", "gunman"];
        string[] hypothesis = ["police", "kill", "the", "gunman"];
        Assert.Equal(3, RougeL.LongestCommonSubsequence(reference, hypothesis));
        var score = RougeL.Score(reference, hypothesis);
        Assert.Equal(0.75, score.Precision, Tolerance);
        Assert.Equal(0.75, score.Recall, Tolerance);
        Assert.Equal(0.75, score.F, Tolerance);
        // S3 = "the gunman kill police": LCS = 2 ("the gunman").
        Assert.Equal(0.5, RougeL.Score(reference, ["the", "gunman", "kill", "police"]).F, Tolerance);
    }

    [Fact]
    public void BetaWeighsRecall()
    {
        string[] reference = ["a", "b", "c", "d"];
        string[] hypothesis = ["a", "b"];
        // P = 1, R = 0.5: F1 = 2/3; with beta 2, F = 5 * 0.5 / (0.5 + 4) = 5/9.
        Assert.Equal(2.0 / 3, RougeL.Score(reference, hypothesis).F, Tolerance);
        Assert.Equal(5.0 / 9, RougeL.Score(reference, hypothesis, beta: 2).F, Tolerance);
        Assert.Equal(0.0, RougeL.Score(reference, []).F);
    }
}
