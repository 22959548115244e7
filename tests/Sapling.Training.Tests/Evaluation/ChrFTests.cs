using Sapling.Training.Evaluation;

namespace Sapling.Training.Tests.Evaluation;

public class ChrFTests
{
    private const double Tolerance = 1e-9;

    [Theory]
    [MemberData(nameof(GenerationMetricFixtures.Names), MemberType = typeof(GenerationMetricFixtures))]
    public void CorpusChrFMatchesNltkWithOneReference(string name)
    {
        var c = GenerationMetricFixtures.Case(name);
        var first = c.References.Select(r => (IReadOnlyList<string>)new[] { r[0] }).ToArray();
        Assert.Equal(c.Score("chrf", "beta2"), ChrF.Corpus(first, c.Hypotheses), Tolerance);
        Assert.Equal(c.Score("chrf", "beta3"), ChrF.Corpus(first, c.Hypotheses, new ChrFOptions { Beta = 3 }), Tolerance);
    }

    [Theory]
    [MemberData(nameof(GenerationMetricFixtures.Names), MemberType = typeof(GenerationMetricFixtures))]
    public void SeveralReferencesKeepEachLinesBest(string name)
    {
        var c = GenerationMetricFixtures.Case(name);
        Assert.Equal(c.Score("chrf_multi"), ChrF.Corpus(c.ReferenceLines, c.Hypotheses), Tolerance);
    }

    [Fact]
    public void IdenticalLinesScoreOneAndWhiteSpaceIsIgnored()
    {
        Assert.Equal(1.0, ChrF.Sentence("the cat sat", "thecat  sat"), 1e-12);
        Assert.True(ChrF.Sentence("the cat sat", "the cat sat", new ChrFOptions { IgnoreWhitespace = false }) > 0.999);
    }

    [Fact]
    public void EmptyCorpusIsAnError()
    {
        Assert.Throws<ArgumentException>(() => ChrF.Corpus([], []));
    }
}
