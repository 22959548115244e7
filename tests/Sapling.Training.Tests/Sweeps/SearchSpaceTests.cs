using System.Globalization;
using Sapling.Training.Sweeps;

namespace Sapling.Training.Tests.Sweeps;

public class SearchSpaceTests
{
    private static double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    [Fact]
    public void GridEnumeratesTheProductWithTheLastSettingFastest()
    {
        var space = new SearchSpace([new ChoiceParameter("train.lr", ["0.1", "0.01"]), new ChoiceParameter("model.dropout", ["0", "0.2", "0.4"])]);
        var grid = space.Grid();
        Assert.Equal(6, grid.Count);
        Assert.Equal(6, grid.Select(t => string.Join(" ", t.Select(s => s.ToString()))).Distinct().Count());
        Assert.Equal([new Setting("train.lr", "0.1"), new Setting("model.dropout", "0")], grid[0]);
        Assert.Equal([new Setting("train.lr", "0.1"), new Setting("model.dropout", "0.2")], grid[1]);
        Assert.Equal([new Setting("train.lr", "0.01"), new Setting("model.dropout", "0.4")], grid[5]);
    }

    [Fact]
    public void GridRefusesARangeNamingIt()
    {
        var space = new SearchSpace([new ChoiceParameter("model.dropout", ["0"]), new UniformParameter("train.lr", 1e-4, 1e-2, log: true)]);
        var e = Assert.Throws<ArgumentException>(() => space.Grid());
        Assert.Contains("train.lr", e.Message);
    }

    [Fact]
    public void RandomSearchIsReproducibleForASeedAndDiffersAcrossSeeds()
    {
        var space = new SearchSpace([new UniformParameter("train.lr", 1e-4, 1e-1, log: true), new UniformParameter("model.dropout", 0, 0.5), new IntUniformParameter("model.hidden_size", 16, 256)]);
        var a = space.Random(8, seed: 3);
        var b = space.Random(8, seed: 3);
        var c = space.Random(8, seed: 4);
        Assert.Equal(a.Select(t => t.ToList()), b.Select(t => t.ToList()));
        Assert.NotEqual(a.Select(t => t[0].Value), c.Select(t => t[0].Value));
        // Trial i does not depend on how many trials are drawn, so a sweep can be extended later.
        Assert.Equal(a.Take(3).Select(t => t.ToList()), space.Random(3, seed: 3).Select(t => t.ToList()));
    }

    [Fact]
    public void LogUniformStaysInBoundsAndSpreadsEvenlyOverDecades()
    {
        var space = new SearchSpace([new UniformParameter("train.lr", 1e-5, 1e-1, log: true)]);
        var values = space.Random(2000, seed: 1).Select(t => Number(t[0].Value)).ToList();
        Assert.All(values, v => Assert.InRange(v, 1e-5, 1e-1));
        // Each of the four decades gets about a quarter; a plain uniform draw would put ~90% in the top decade.
        for (int decade = -5; decade < -1; decade++)
        {
            double share = values.Count(v => v >= Math.Pow(10, decade) && v < Math.Pow(10, decade + 1)) / (double)values.Count;
            Assert.InRange(share, 0.2, 0.3);
        }
    }

    [Fact]
    public void UniformAndIntUniformStayInBoundsAndIntReachesBothEnds()
    {
        var space = new SearchSpace([new UniformParameter("model.dropout", 0.1, 0.2), new IntUniformParameter("train.batch_size", 2, 4)]);
        var trials = space.Random(300, seed: 9);
        Assert.All(trials, t => Assert.InRange(Number(t[0].Value), 0.1, 0.2));
        Assert.Equal(["2", "3", "4"], trials.Select(t => t[1].Value).Distinct().Order());
    }

    [Fact]
    public void ChoicesAreDrawnFromTheList()
    {
        var space = new SearchSpace([new ChoiceParameter("train.optimizer", ["sgd", "adamw"])]);
        Assert.Equal(["adamw", "sgd"], space.Random(50, seed: 2).Select(t => t[0].Value).Distinct().Order());
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("reversed")]
    [InlineData("log-nonpositive")]
    [InlineData("int-reversed")]
    public void BadRangesFailNamingTheSetting(string kind)
    {
        var e = Assert.Throws<ArgumentException>(() => kind switch
        {
            "empty" => (SearchParameter)new ChoiceParameter("model.dropout", []),
            "reversed" => new UniformParameter("model.dropout", 0.5, 0.1),
            "log-nonpositive" => new UniformParameter("train.lr", 0, 1, log: true),
            _ => new IntUniformParameter("model.hidden_size", 64, 8),
        });
        Assert.Matches("model.dropout|train.lr|model.hidden_size", e.Message);
    }

    [Fact]
    public void ASpaceNeedsParametersAndUniqueNames()
    {
        Assert.Throws<ArgumentException>(() => new SearchSpace([]));
        var e = Assert.Throws<ArgumentException>(() => new SearchSpace([new ChoiceParameter("train.lr", ["1"]), new ChoiceParameter("train.lr", ["2"])]));
        Assert.Contains("train.lr", e.Message);
    }
}
