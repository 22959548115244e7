using Sapling.Training.Review;

namespace Sapling.Training.Tests.Review;

public sealed class ReviewSummaryTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-review-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void KappaMatchesTheTextbookValue()
    {
        // p_o = 0.8, p_e = 0.6·0.4 + 0.4·0.6 = 0.48: κ = 0.32 / 0.52 (scikit-learn's cohen_kappa_score gives 0.6153846).
        Assert.Equal(0.6153846, ReviewSummary.CohenKappa([true, true, false, false, true], [true, false, false, false, true]), 6);
        Assert.Equal(-1, ReviewSummary.CohenKappa([true, false], [false, true]), 9);
        Assert.True(double.IsNaN(ReviewSummary.CohenKappa([true, true], [true, true])));
    }

    [Fact]
    public void ScoresCountVerdictsAndCompareThemWithTheMetric()
    {
        Rating R(string stratum, bool auto, string? verdict, double? score = null) => new(Guid.NewGuid().ToString(), stratum, auto, score, verdict, "");
        var ratings = new[]
        {
            R("a", true, "correct", 80), R("a", true, "correct", 70), R("a", false, "wrong", 20), R("a", false, "correct", 40),
            R("b", true, "unsure"), R("b", false, "wrong", 10), R("b", true, null),
        };
        var (overall, strata) = ReviewSummary.Compute(ratings);
        Assert.Equal(7, overall.Items);
        Assert.Equal(6, overall.Rated);
        Assert.Equal((3, 2, 1), (overall.Correct, overall.Wrong, overall.Unsure));
        Assert.Equal(3 / 5.0, overall.ReviewerAccuracy!.Value, 9);
        Assert.Equal(2 / 5.0, overall.AutomaticAccuracy!.Value, 9);
        Assert.Equal(4 / 5.0, overall.Agreement!.Value, 9);
        Assert.Equal(ReviewSummary.CohenKappa([true, true, false, true, false], [true, true, false, false, false]), overall.Kappa!.Value, 9);
        Assert.Equal((80 + 70 + 40) / 3.0, overall.MeanAutoScoreCorrect!.Value, 9);
        Assert.Equal(15, overall.MeanAutoScoreWrong!.Value, 9);
        Assert.Equal(["a", "b"], strata.Select(s => s.Stratum));
        Assert.Equal(3 / 4.0, strata[0].ReviewerAccuracy!.Value, 9);
        Assert.Equal(0.0, strata[1].ReviewerAccuracy!.Value, 9);
    }

    [Fact]
    public void BadRatingsFilesNameTheFileAndTheItem()
    {
        var path = Path.Combine(root, "ratings.json");
        File.WriteAllText(path, "{ nope");
        Assert.Contains("ratings.json: not valid JSON", Assert.Throws<InvalidDataException>(() => ReviewRatings.Read(path)).Message);
        File.WriteAllText(path, """{"rows": []}""");
        Assert.Contains("not a ratings file", Assert.Throws<InvalidDataException>(() => ReviewRatings.Read(path)).Message);
        File.WriteAllText(path, """{"items": [{"id": "x", "rating": "correct"}, {"id": "y", "rating": "great"}]}""");
        var e = Assert.Throws<InvalidDataException>(() => ReviewRatings.Read(path));
        Assert.Contains("item 1 (id y): rating \"great\"", e.Message);
        File.WriteAllText(path, """{"items": [{"id": "x"}, {"id": "x"}]}""");
        Assert.Contains("ids repeat", Assert.Throws<InvalidDataException>(() => ReviewRatings.Read(path)).Message);
        Assert.Throws<FileNotFoundException>(() => ReviewRatings.Read(Path.Combine(root, "missing.json")));
    }
}
