using Sapling.Testing;

namespace Sapling.Core.Tests;

public class AttentionTests
{
    /// <summary>The same attention from separate ops: scores, causal mask, softmax, weighted values.</summary>
    private static Tensor Composed(Tensor q, Tensor k, Tensor v)
    {
        int t = q.Shape[2], s = k.Shape[2];
        var scores = q.MatMul(k.Transpose(-1, -2)).Mul(1f / MathF.Sqrt(q.Shape[3]));
        var future = Tensor.Ones(t, s).Triu(s - t + 1).Gt(0f);
        return scores.MaskedFill(future, float.NegativeInfinity).Softmax(-1).MatMul(v);
    }

    [Theory]
    [InlineData(2, 3, 7, 7, 8)]
    [InlineData(1, 2, 3, 10, 16)]
    [InlineData(2, 1, 1, 5, 4)]
    public void FusedAttentionMatchesComposedOpsInValuesAndGradients(int b, int h, int t, int s, int d)
    {
        var g = new Generator((ulong)(b * 100 + t * 10 + s));
        MatchesComposedOps(Tensor.Randn([b, h, t, d], g), Tensor.Randn([b, h, s, d], g), Tensor.Randn([b, h, s, d], g), Tensor.Randn([b, h, t, d], g));
    }

    /// <summary>The fused attention of q, k, v against <see cref="Composed"/>: output, and gradients for an upstream gradient.</summary>
    internal static void MatchesComposedOps(Tensor q, Tensor k, Tensor v, Tensor upstream)
    {
        var (q1, k1, v1) = (q.Clone().RequiresGrad_(), k.Clone().RequiresGrad_(), v.Clone().RequiresGrad_());
        var (q2, k2, v2) = (q.Clone().RequiresGrad_(), k.Clone().RequiresGrad_(), v.Clone().RequiresGrad_());
        var fused = Tensor.CausalAttention(q1, k1, v1);
        var reference = Composed(q2, k2, v2);
        TensorAssert.Close(reference, fused, 1e-5f, 1e-6f, "output");
        fused.Backward(upstream);
        reference.Backward(upstream);
        TensorAssert.Close(q2.Grad!, q1.Grad!, 1e-4f, 1e-5f, "dq");
        TensorAssert.Close(k2.Grad!, k1.Grad!, 1e-4f, 1e-5f, "dk");
        TensorAssert.Close(v2.Grad!, v1.Grad!, 1e-4f, 1e-5f, "dv");
    }

    [Fact]
    public void FusedAttentionGradientsMatchFiniteDifferences()
    {
        var g = new Generator(3);
        GradCheck.Check(x => Tensor.CausalAttention(x[0], x[1], x[2]), [Tensor.Randn([1, 2, 3, 4], g), Tensor.Randn([1, 2, 5, 4], g), Tensor.Randn([1, 2, 5, 4], g)]);
    }

    [Fact]
    public void ShapesAreChecked()
    {
        var weights = Assert.Throws<ArgumentException>(() => Tensor.CausalAttentionWeights(Tensor.Zeros(2, 5, 4), Tensor.Zeros(2, 3, 4), 0.5));
        Assert.Contains("causal_attention_weights", weights.Message);
        Assert.Contains("[2, 5, 4]", weights.Message);
        Assert.Contains("[2, 3, 4]", weights.Message);
        var ex = Assert.Throws<ArgumentException>(() => Tensor.CausalAttention(Tensor.Zeros(1, 2, 5, 4), Tensor.Zeros(1, 2, 3, 4), Tensor.Zeros(1, 2, 3, 4)));
        Assert.Contains("[1, 2, 5, 4]", ex.Message);
    }

    /// <summary>
    /// Keys and values narrowed from buffers of a longer context (what a KV cache hands attention): the result equals
    /// attention over packed copies, batch rows and heads included, in float32 and float64.
    /// </summary>
    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void AttentionOverNarrowedCacheBuffersMatchesPackedCopies(DType dtype)
    {
        var g = new Generator(11);
        int b = 2, h = 3, t = 2, s = 9, d = 8, capacity = 20;
        var keys = Tensor.Randn([b, h, capacity, d], g, dtype);
        var values = Tensor.Randn([b, h, capacity, d], g, dtype);
        var q = Tensor.Randn([b, h, t, d], g, dtype);
        var (k, v) = (keys.Narrow(2, 0, s), values.Narrow(2, 0, s));
        Assert.False(k.IsContiguous);
        var inPlace = Tensor.CausalAttention(q, k, v);
        var packed = Tensor.CausalAttention(q, k.Contiguous(), v.Contiguous());
        TensorAssert.Close(packed.To(DType.Float32), inPlace.To(DType.Float32), 1e-6f, 1e-6f, "cache-layout attention");
    }
}

/// <summary>Grouped-query and sliding-window attention against plain attention on explicitly repeated or cut keys.</summary>
public class GroupedAndWindowedAttentionTests
{
    private static Tensor Repeat(Tensor kv, int groups)
    {
        int b = kv.Shape[0], h = kv.Shape[1], s = kv.Shape[2], d = kv.Shape[3];
        return kv.Unsqueeze(2).Expand(b, h, groups, s, d).Reshape(b, h * groups, s, d);
    }

    [Theory]
    [InlineData(1, 6)]
    [InlineData(5, 9)]
    public void GroupedHeadsReadTheirGroupsKeysInPlace(int t, int s)
    {
        var g = new Generator(3);
        var q = Tensor.Randn([2, 6, t, 8], g);
        var k = Tensor.Randn([2, 2, s, 8], g);
        var v = Tensor.Randn([2, 2, s, 8], g);
        var expected = Tensor.CausalAttention(q, Repeat(k, 3), Repeat(v, 3));
        TensorAssert.Close(expected, Tensor.CausalAttention(q, k, v), 1e-5f, 1e-6f, "fast kernels");
        using (Sapling.Backends.Backend.Use(new Sapling.Backends.Reference.ReferenceKernels()))
            TensorAssert.Close(expected, Tensor.CausalAttention(q, k, v), 1e-5f, 1e-6f, "reference kernels");
    }

    [Fact]
    public void GroupedHeadsTrainThroughRepeatedKeys()
    {
        var g = new Generator(4);
        var q = Tensor.Randn([1, 4, 5, 8], g).RequiresGrad_();
        var k = Tensor.Randn([1, 2, 5, 8], g).RequiresGrad_();
        var v = Tensor.Randn([1, 2, 5, 8], g).RequiresGrad_();
        var (q2, k2, v2) = (q.Detach().Clone().RequiresGrad_(), k.Detach().Clone().RequiresGrad_(), v.Detach().Clone().RequiresGrad_());
        var upstream = Tensor.Randn([1, 4, 5, 8], g);
        Tensor.CausalAttention(q, k, v).Backward(upstream);
        Tensor.CausalAttention(q2, Repeat(k2, 2), Repeat(v2, 2)).Backward(upstream);
        TensorAssert.Close(q2.Grad!, q.Grad!, 1e-5f, 1e-6f, "dq");
        TensorAssert.Close(k2.Grad!, k.Grad!, 1e-5f, 1e-6f, "dk");
        TensorAssert.Close(v2.Grad!, v.Grad!, 1e-5f, 1e-6f, "dv");
    }

    /// <summary>
    /// From 16 queries per head the fast kernel runs a prompt in blocks of 64 queries (two products per block, the
    /// upper triangle of each block's scores zeroed): the same as the reference kernels' row-by-row attention with keys
    /// already cached before the queries, grouped heads, a sliding window, left padding and blocks cut short.
    /// </summary>
    [Theory]
    [InlineData(16, 0, 0, false)]
    [InlineData(100, 5, 0, false)]
    [InlineData(130, 3, 40, false)]
    [InlineData(70, 0, 0, true)]
    [InlineData(65, 9, 17, true)]
    public void PromptsInBlocksOfQueriesMatchTheReferenceKernels(int t, int past, int window, bool padded)
    {
        var g = new Generator((ulong)(t + past + window));
        int s = t + past;
        var q = Tensor.Randn([2, 6, t, 16], g);
        var k = Tensor.Randn([2, 2, s, 16], g);
        var v = Tensor.Randn([2, 2, s, 16], g);
        // Row 1 of the batch starts attending at key 7 (left padding); its first queries see no key at all.
        int[]? keyStart = padded ? [0, 7] : null;
        var fast = Tensor.CausalAttention(q, k, v, keyStart: keyStart, window: window);
        Tensor reference;
        using (Sapling.Backends.Backend.Use(new Sapling.Backends.Reference.ReferenceKernels()))
            reference = Tensor.CausalAttention(q, k, v, keyStart: keyStart, window: window);
        TensorAssert.Close(reference, fast, 1e-5f, 1e-6f, $"t={t} past={past} window={window} padded={padded}");
    }

    [Fact]
    public void APromptInBlocksTrainsAsTheComposedOps()
    {
        // 80 queries: two blocks, the second cut short; the backward pass reads the blocked forward's log-sum-exps.
        var g = new Generator(80);
        AttentionTests.MatchesComposedOps(Tensor.Randn([1, 2, 80, 8], g), Tensor.Randn([1, 2, 80, 8], g), Tensor.Randn([1, 2, 80, 8], g), Tensor.Randn([1, 2, 80, 8], g));
    }

    [Fact]
    public void AWindowedQuerySeesOnlyItsLastKeys()
    {
        var g = new Generator(5);
        int t = 7, s = 7, window = 3;
        var q = Tensor.Randn([1, 2, t, 8], g);
        var k = Tensor.Randn([1, 2, s, 8], g);
        var v = Tensor.Randn([1, 2, s, 8], g);
        var windowed = Tensor.CausalAttention(q, k, v, window: window);
        Tensor reference;
        using (Sapling.Backends.Backend.Use(new Sapling.Backends.Reference.ReferenceKernels()))
            reference = Tensor.CausalAttention(q, k, v, window: window);
        TensorAssert.Close(reference, windowed, 1e-5f, 1e-6f, "reference kernels");
        for (int i = 0; i < t; i++)
        {
            int first = Math.Max(0, i - window + 1);
            // Query i alone against keys first..i: the last of them is its own position.
            var expected = Tensor.CausalAttention(q.Narrow(2, i, 1), k.Narrow(2, first, i - first + 1), v.Narrow(2, first, i - first + 1));
            TensorAssert.Close(expected, windowed.Narrow(2, i, 1), 1e-5f, 1e-6f, $"query {i}");
        }
    }
}

/// <summary>
/// The encoder's fused bidirectional attention (<see cref="Tensor.ScaledDotProductAttention"/>) against the composed
/// ops with a padding bias, reading heads in place from a projection's [B, T, H·D] output, on the CPU kernels and the
/// reference kernels; with gradients it is the composed ops themselves.
/// </summary>
public class EncoderAttentionTests
{
    private static Tensor Composed(Tensor q, Tensor k, Tensor v, int[]? lengths)
    {
        int b = q.Shape[0], s = k.Shape[2];
        var scores = q.MatMul(k.Transpose(-1, -2)).Mul(1.0 / Math.Sqrt(q.Shape[3]));
        if (lengths != null)
        {
            var bias = new float[b * s];
            for (int r = 0; r < b; r++) bias.AsSpan(r * s + lengths[r], s - lengths[r]).Fill(-1e9f);
            scores = scores.Add(Tensor.FromArray(bias, b, 1, 1, s));
        }
        return scores.Softmax(-1).MatMul(v);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FusedMatchesComposedOnHeadsReadInPlace(bool reference)
    {
        var g = new Generator(11);
        int b = 3, h = 4, t = 9, d = 8;
        // Heads as a projection leaves them: [B, T, H·D] viewed as [B, H, T, D] (strides T·H·D, D, H·D, 1).
        Tensor Heads() => Tensor.Randn([b, t, h * d], g).Reshape(b, t, h, d).Permute(0, 2, 1, 3);
        var (q, k, v) = (Heads(), Heads(), Heads());
        int[] lengths = [9, 4, 0];
        Tensor fused;
        using (Autograd.NoGrad.Enter())
        using (reference ? Sapling.Backends.Backend.Use(new Sapling.Backends.Reference.ReferenceKernels()) : null)
            fused = Tensor.ScaledDotProductAttention(q, k, v, lengths);
        var expected = Composed(q, k, v, lengths);
        Assert.Equal([b, h, t, d], fused.Shape.ToArray());
        TensorAssert.Close(expected, fused, 1e-5f, 1e-6f, "padded");
        // The result is [B, T, H, D] in memory, so the heads go back side by side without a copy.
        Assert.True(fused.Permute(0, 2, 1, 3).IsContiguous);
        using (Autograd.NoGrad.Enter()) fused = Tensor.ScaledDotProductAttention(q, k, v);
        TensorAssert.Close(Composed(q, k, v, null), fused, 1e-5f, 1e-6f, "unpadded");
    }

    [Fact]
    public void WithGradientsItIsTheComposedOps()
    {
        var g = new Generator(5);
        Tensor Leaf() => Tensor.Randn([2, 2, 5, 4], g).RequiresGrad_();
        var (q, k, v) = (Leaf(), Leaf(), Leaf());
        int[] lengths = [5, 3];
        var output = Tensor.ScaledDotProductAttention(q, k, v, lengths);
        var (q2, k2, v2) = (q.Detach().Clone().RequiresGrad_(), k.Detach().Clone().RequiresGrad_(), v.Detach().Clone().RequiresGrad_());
        var expected = Composed(q2, k2, v2, lengths);
        TensorAssert.Close(expected, output, 1e-6f, 1e-7f, "output");
        var upstream = Tensor.Randn([2, 2, 5, 4], g);
        output.Backward(upstream);
        expected.Backward(upstream);
        TensorAssert.Close(q2.Grad!, q.Grad!, 1e-5f, 1e-6f, "dq");
        TensorAssert.Close(v2.Grad!, v.Grad!, 1e-5f, 1e-6f, "dv");
    }

    [Fact]
    public void BadLengthsAndShapesAreNamed()
    {
        var x = Tensor.Zeros(2, 1, 3, 4);
        var e = Assert.Throws<ArgumentException>(() => Tensor.ScaledDotProductAttention(x, x, x, [3]));
        Assert.Contains("1 key lengths for a batch of 2", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.ScaledDotProductAttention(x, x, x, [3, 4]));
        Assert.Contains("key length 4", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.ScaledDotProductAttention(x, Tensor.Zeros(2, 1, 3, 5), x));
        Assert.Contains("scaled_dot_product_attention", e.Message);
    }
}
