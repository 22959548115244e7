namespace Sapling.Data.Tests;

public class DataLoaderTests
{
    private static TensorDataset Numbers(int n) => new(Tensor.Arange(0, n).Reshape(n, 1), Tensor.FromArray(Enumerable.Range(0, n).Select(i => (long)(i % 3)).ToArray()));

    private static List<float[]> Collect(DataLoader loader, int epoch, int skip = 0) => loader.Epoch(epoch, skip).Select(b => b.Inputs.ToArray()).ToList();

    [Fact]
    public void ShuffledOrderDependsOnlyOnSeedAndEpoch()
    {
        var a = new DataLoader(Numbers(50), 8, shuffle: true, seed: 3);
        var b = new DataLoader(Numbers(50), 8, shuffle: true, seed: 3, prefetch: 0);
        Assert.Equal(Collect(a, 2), Collect(b, 2));
        Assert.NotEqual(Collect(a, 2), Collect(a, 3));
        var all = Collect(a, 1).SelectMany(x => x).OrderBy(v => v).ToArray();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (float)i), all);
    }

    [Fact]
    public void SkippingBatchesResumesMidEpoch()
    {
        var loader = new DataLoader(Numbers(50), 8, shuffle: true, seed: 9);
        var full = Collect(loader, 4);
        Assert.Equal(full.Skip(3), Collect(loader, 4, skip: 3));
    }

    [Fact]
    public void LastBatchPolicy()
    {
        Assert.Equal(new[] { 8, 8, 8, 8, 8, 8, 2 }, new DataLoader(Numbers(50), 8).Epoch(0).Select(b => b.Inputs.Shape[0]));
        Assert.Equal(6, new DataLoader(Numbers(50), 8, lastBatch: LastBatch.Drop).Epoch(0).Count());
    }

    [Fact]
    public void TransformGetsReproducibleRandomness()
    {
        var loader = new DataLoader(Numbers(20), 5, shuffle: true, seed: 1, transform: (x, g) => x.Add(Tensor.Rand(x.Shape.ToArray(), g)));
        Assert.Equal(Collect(loader, 0), Collect(loader, 0));
    }

    [Fact]
    public void FailureInsideTheBackgroundThreadSurfaces()
    {
        var loader = new DataLoader(Numbers(20), 5, transform: (_, _) => throw new InvalidDataException("broken image"));
        var ex = Assert.Throws<InvalidOperationException>(() => loader.Epoch(0).ToList());
        Assert.Contains("broken image", ex.Message);
    }

    [Fact]
    public void BadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Numbers(5), 0));
        Assert.Contains("labels", Assert.Throws<ArgumentException>(() => new TensorDataset(Tensor.Zeros(3, 2), Tensor.FromArray(new long[] { 1, 2 }))).Message);
    }
}

public class SplitTests
{
    [Fact]
    public void StratifiedSplitKeepsClassProportionsAndCoversEverything()
    {
        var labels = Enumerable.Range(0, 1000).Select(i => (long)(i < 700 ? 0 : i < 900 ? 1 : 2)).ToArray();
        var parts = Splits.Stratified(labels, [0.8, 0.1, 0.1], seed: 0);
        Assert.Equal(1000, parts.Sum(p => p.Length));
        Assert.Equal(1000, parts.SelectMany(p => p).Distinct().Count());
        Assert.Equal(800, parts[0].Length);
        Assert.Equal(70, parts[1].Count(i => labels[i] == 0));
        Assert.Equal(20, parts[1].Count(i => labels[i] == 1));
        Assert.Equal(10, parts[2].Count(i => labels[i] == 2));
        Assert.Equal(parts[0], Splits.Stratified(labels, [0.8, 0.1, 0.1], seed: 0)[0]);
        Assert.NotEqual(parts[0], Splits.Stratified(labels, [0.8, 0.1, 0.1], seed: 1)[0]);
    }

    [Fact]
    public void FractionsMustSumToOne() => Assert.Throws<ArgumentException>(() => Splits.Stratified([0, 1], [0.5, 0.6], 0));
}

public class CsvAndNormalizerTests
{
    [Fact]
    public void ReadsHeaderTextLabelsAndGzip()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sapling-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, "a,b,kind\n1,2,cat\n3,4.5,dog\n5,6,cat\n");
        try
        {
            var t = CsvTable.Read(path);
            Assert.Equal(new[] { "a", "b" }, t.FeatureNames);
            Assert.Equal(new[] { "cat", "dog" }, t.ClassNames);
            Assert.Equal(new long[] { 0, 1, 0 }, t.Labels);
            Assert.Equal(new float[] { 1, 2, 3, 4.5f, 5, 6 }, t.Features);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void BadCellNamesLineAndColumn()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sapling-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, "1,2,0\n3,x,1\n");
        try
        {
            var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(path));
            Assert.Contains("row 2, column 2", ex.Message);
            Assert.Contains(path, ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ReadsTheEmbeddedDigits()
    {
        var path = Path.Combine(Testing.Fixtures.Directory, "..", "..", "data", "digits.csv.gz");
        var t = CsvTable.Read(path);
        Assert.Equal(1797, t.Rows);
        Assert.Equal(64, t.Columns);
        Assert.Equal(10, t.ClassNames.Length);
    }

    [Fact]
    public void NormalizerUsesTrainingStatistics()
    {
        var x = Tensor.FromArray(new float[] { 1, 10, 3, 10, 5, 10 }, 3, 2);
        var n = Normalizer.Fit(x);
        Assert.Equal(new float[] { 3, 10 }, n.Mean);
        Assert.Equal(1f, n.Std[1]);
        var y = n.Apply(x).ToArray();
        Assert.Equal(0f, y[2], 5);
        Assert.Equal(0f, y[1], 5);
    }
}

public class CsvFiniteValueTests
{
    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("1e39")]
    public void NonFiniteCellsAreRefusedWithTheirPlace(string cell)
    {
        var path = Path.Combine(Path.GetTempPath(), $"sapling-nan-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, $"1,2,0\n3,{cell},1\n");
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => Sapling.Data.CsvTable.Read(path));
            Assert.Contains("data row 2, column 2", error.Message);
            Assert.Contains("not a finite number", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ATensorDatasetRefusesScalarInputsByName()
    {
        var e = Assert.Throws<ArgumentException>(() => new TensorDataset(Tensor.Scalar(1f), Tensor.FromArray(new long[] { 0 }, 1)));
        Assert.Contains("scalar", e.Message);
    }
}
