namespace Sapling.NN.Tests;

/// <summary>KvCache.ReorderRows (beam search): each row takes the stored positions of the row it is told to, in every
/// layer, whatever the layer's head count; the position appended after the reorder is the row's own.</summary>
public sealed class KvCacheTests
{
    [Fact]
    public void ReorderRowsGathersStoredPositionsPerLayer()
    {
        int batch = 4, maxLength = 5, headDim = 3;
        var cache = new KvCache([2, 1], batch, maxLength, headDim);
        // Value = row·1000 + head·100 + position·10 + element (+ 0.5 for values), per layer offset 10,000.
        Tensor Step(int layer, int heads, int position, float offset)
        {
            var data = new float[batch * heads * headDim];
            for (int r = 0; r < batch; r++)
                for (int h = 0; h < heads; h++)
                    for (int e = 0; e < headDim; e++)
                        data[(r * heads + h) * headDim + e] = layer * 10_000 + r * 1000 + h * 100 + position * 10 + e + offset;
            return Tensor.FromArray(data, batch, heads, 1, headDim);
        }
        for (int position = 0; position < 3; position++)
            for (int layer = 0; layer < 2; layer++)
            {
                int heads = cache.HeadsPerLayer[layer];
                cache.Append(layer, Step(layer, heads, position, 0f), Step(layer, heads, position, 0.5f));
            }
        Assert.Equal(3, cache.Length);

        int[] rows = [2, 2, 0, 3];   // a beam may continue twice, another not at all
        cache.ReorderRows(rows);
        for (int layer = 0; layer < 2; layer++)
        {
            int heads = cache.HeadsPerLayer[layer];
            var (keys, values) = cache.Append(layer, Step(layer, heads, 3, 0f), Step(layer, heads, 3, 0.5f));
            var k = keys.Contiguous().ToArray<float>();
            var v = values.Contiguous().ToArray<float>();
            for (int r = 0; r < batch; r++)
                for (int h = 0; h < heads; h++)
                    for (int p = 0; p < 4; p++)
                        for (int e = 0; e < headDim; e++)
                        {
                            int i = ((r * heads + h) * 4 + p) * headDim + e;
                            int from = p < 3 ? rows[r] : r;   // the appended position is this row's own
                            float expected = layer * 10_000 + from * 1000 + h * 100 + p * 10 + e;
                            Assert.Equal(expected, k[i]);
                            Assert.Equal(expected + 0.5f, v[i]);
                        }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.ReorderRows([0, 1, 2, 4]));
        Assert.Throws<ArgumentException>(() => cache.ReorderRows([0, 1]));
    }
}
