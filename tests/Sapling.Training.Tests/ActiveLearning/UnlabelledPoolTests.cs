using Sapling.Training.ActiveLearning;

namespace Sapling.Training.Tests.ActiveLearning;

public sealed class UnlabelledPoolTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-pool-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string Pool(string text)
    {
        var path = Path.Combine(root, "pool.csv");
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData("1,2,3,\n4,5,6,\n")]
    [InlineData("1,2,3\n4,5,6\n")]
    [InlineData("a,b,c,label\n1,2,3,\n4,5,6,\n")]
    public void ReadsRowsWithAnEmptyOrAbsentLabelColumn(string text)
    {
        var pool = UnlabelledPool.Read(Pool(text), inputSize: 3);
        Assert.Equal(2, pool.Rows);
        Assert.Equal([1f, 2, 3, 4, 5, 6], pool.Features);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    [InlineData("a,b,c,label\n")]
    public void AnEmptyPoolIsAClearError(string text) =>
        Assert.Contains("is empty", Assert.Throws<InvalidDataException>(() => UnlabelledPool.Read(Pool(text), 3)).Message);

    [Fact]
    public void RowsOfTheWrongWidthAreNamed() =>
        Assert.Contains("the model takes 3 values", Assert.Throws<InvalidDataException>(() => UnlabelledPool.Read(Pool("1,2,3,4,5\n"), 3)).Message);
}
