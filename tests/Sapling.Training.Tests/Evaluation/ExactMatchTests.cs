using Sapling.Training.Evaluation;

namespace Sapling.Training.Tests.Evaluation;

public class ExactMatchTests
{
    [Fact]
    public void CountsHypothesesEqualToAnyReference()
    {
        IReadOnlyList<string>[] references = [["Paris"], ["4", "four"], ["blue"]];
        Assert.Equal(2.0 / 3, ExactMatch.Corpus(references, ["Paris", "four", "red"]), 1e-12);
    }

    [Fact]
    public void NormalisationIsOptIn()
    {
        IReadOnlyList<string>[] references = [["New York"]];
        string[] hypotheses = ["  new   york "];
        Assert.Equal(0.0, ExactMatch.Corpus(references, hypotheses));
        Assert.Equal(0.0, ExactMatch.Corpus(references, hypotheses, TextNormalization.Trim | TextNormalization.CollapseWhitespace));
        Assert.Equal(1.0, ExactMatch.Corpus(references, hypotheses, TextNormalization.All));
        Assert.Equal(TextNormalization.All, ExactMatch.ParseNormalization("trim, whitespace,case"));
        Assert.Equal(TextNormalization.None, ExactMatch.ParseNormalization("none"));
        Assert.Contains("unknown normalisation 'lower'", Assert.Throws<ArgumentException>(() => ExactMatch.ParseNormalization("lower")).Message);
    }
}
