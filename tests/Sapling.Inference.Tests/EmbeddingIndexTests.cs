using Sapling.IO;

namespace Sapling.Inference.Tests;

/// <summary>The exact scan returns what sorting every score gives, the file round-trips texts and vectors, and a file
/// that is not an index is refused by name.</summary>
public sealed class EmbeddingIndexTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("sapling-index-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    private static float[][] UnitVectors(int n, int d, int seed)
    {
        var random = new Random(seed);
        var rows = new float[n][];
        for (int i = 0; i < n; i++)
        {
            rows[i] = Enumerable.Range(0, d).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            float norm = MathF.Sqrt(rows[i].Sum(v => v * v));
            for (int j = 0; j < d; j++) rows[i][j] /= norm;
        }
        return rows;
    }

    [Fact]
    public void TopKIsTheBestKByCosineBestFirst()
    {
        var rows = UnitVectors(500, 24, 1);
        var index = new EmbeddingIndex(rows, rows.Select((_, i) => $"text {i} — ünïcode").ToArray(), "model-dir", "mean", 128);
        var query = UnitVectors(1, 24, 2)[0];
        var hits = index.Search(query, 7);
        var expected = rows.Select((r, i) => (i, r.Zip(query).Sum(p => p.First * p.Second))).OrderByDescending(p => p.Item2).Take(7).ToArray();
        Assert.Equal(expected.Select(e => e.i), hits.Select(h => h.Index));
        for (int i = 0; i < 7; i++) Assert.Equal(expected[i].Item2, hits[i].Score, 5);
        Assert.Equal(500, index.Search(query, 10_000).Length);
    }

    [Fact]
    public void SavedIndexLoadsBack()
    {
        var rows = UnitVectors(40, 8, 3);
        var texts = rows.Select((_, i) => i % 3 == 0 ? $"第{i}行 text" : $"line {i}").ToArray();
        var path = Path.Combine(dir, "corpus.index");
        new EmbeddingIndex(rows, texts, "/models/minilm", "mean", 64).Save(path);
        var loaded = EmbeddingIndex.Load(path);
        Assert.Equal((40, 8, "/models/minilm", 64), (loaded.Count, loaded.Dimensions, loaded.Model, loaded.MaxLength));
        for (int i = 0; i < 40; i++)
        {
            Assert.Equal(texts[i], loaded.Text(i));
            Assert.Equal(rows[i], loaded.Vector(i).ToArray());
        }
    }

    [Fact]
    public void OtherSafetensorsFilesAreRefused()
    {
        var path = Path.Combine(dir, "weights.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Tensor.Zeros(2, 2) });
        var e = Assert.Throws<InvalidDataException>(() => EmbeddingIndex.Load(path));
        Assert.Contains("not an embedding index", e.Message);
    }
}
