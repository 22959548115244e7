using Sapling.Backends;
using Sapling.Backends.Reference;
using Sapling.Memory;
using Sapling.Testing;

namespace Sapling.Core.Tests.Memory;

/// <summary>
/// Linear and embedding over weights in their stored dtype and memory (bf16, f16, float32 in native memory), against
/// the float32 ops on the same values widened, on the fast kernels and the reference kernels, for the streaming
/// (few rows) and panel (many rows) paths, row- and column-major weights.
/// </summary>
public class StoredWeightTests
{
    private static readonly IKernels Reference = new ReferenceKernels();

    /// <summary>A weight of <paramref name="dtype"/> in <paramref name="kind"/> memory, and the float32 tensor of its exact values.</summary>
    private static (Tensor Stored, Tensor Widened) MakeWeight(int rows, int cols, DType dtype, StorageKind kind, int seed)
    {
        var values = Tensor.Randn([rows, cols], new Generator((ulong)seed));
        var rounded = values.To(dtype);
        var widened = rounded.To(DType.Float32);
        if (kind == StorageKind.Managed) return (rounded, widened);
        var native = Tensor.FromStorage(new NativeStorage(dtype, rows * cols), rows, cols);
        switch (dtype)
        {
            case DType.BFloat16: rounded.AsSpan<ushort>().CopyTo(native.AsSpan<ushort>()); break;
            case DType.Float16: rounded.AsSpan<Half>().CopyTo(native.AsSpan<Half>()); break;
            default: rounded.AsSpan<float>().CopyTo(native.AsSpan<float>()); break;
        }
        return (native, widened);
    }

    public static TheoryData<DType, StorageKind, int> Cases()
    {
        var data = new TheoryData<DType, StorageKind, int>();
        foreach (var (dtype, kind) in new[] { (DType.BFloat16, StorageKind.Managed), (DType.BFloat16, StorageKind.Native), (DType.Float16, StorageKind.Managed), (DType.Float16, StorageKind.Native), (DType.Float32, StorageKind.Native) })
            foreach (int m in new[] { 1, 3, 4, 5, 37 })
                data.Add(dtype, kind, m);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LinearMatchesTheWidenedFloat32Weight(DType dtype, StorageKind kind, int m)
    {
        // 1,100 columns: two whole widening chunks and a tail that is not a multiple of any register width.
        var (stored, widened) = MakeWeight(70, 1100, dtype, kind, 1);
        var x = Tensor.Randn([m, 1100], new Generator(2));
        var bias = Tensor.Randn([70], new Generator(3));
        var expected = Tensor.Linear(x, widened, bias);
        TensorAssert.Close(expected, Tensor.Linear(x, stored, bias), 1e-4f, 1e-4f, "fast kernels");
        using (Backend.Use(Reference)) TensorAssert.Close(expected, Tensor.Linear(x, stored, bias), 1e-4f, 1e-4f, "reference kernels");
    }

    [Theory]
    [InlineData(DType.BFloat16, 1)]
    [InlineData(DType.BFloat16, 20)]
    [InlineData(DType.Float16, 2)]
    [InlineData(DType.Float32, 9)]
    public void AColumnMajorWeightMatches(DType dtype, int m)
    {
        // GPT-2's Conv1D keeps [in, out] and passes the transposed view.
        var (stored, widened) = MakeWeight(300, 40, dtype, StorageKind.Native, 4);
        var x = Tensor.Randn([m, 300], new Generator(5));
        TensorAssert.Close(Tensor.Linear(x, widened.T()), Tensor.Linear(x, stored.T()), 1e-4f, 1e-4f);
        using (Backend.Use(Reference)) TensorAssert.Close(Tensor.Linear(x, widened.T()), Tensor.Linear(x, stored.T()), 1e-4f, 1e-4f, "reference");
    }

    [Theory]
    [InlineData(DType.BFloat16, false)]
    [InlineData(DType.Float16, true)]
    [InlineData(DType.Float32, false)]
    public void InputAndBiasGradientsFlowThroughAFrozenStoredWeight(DType dtype, bool columnMajor)
    {
        // Column-major: stored [in, out] and passed as its transposed view, as GPT-2's Conv1D does.
        var (storedRaw, widenedRaw) = columnMajor ? MakeWeight(50, 33, dtype, StorageKind.Native, 6) : MakeWeight(33, 50, dtype, StorageKind.Native, 6);
        var stored = columnMajor ? storedRaw.T() : storedRaw;
        var widened = columnMajor ? widenedRaw.T() : widenedRaw;
        var x1 = Tensor.Randn([2, 7, 50], new Generator(7)).RequiresGrad_();
        var x2 = x1.Detach().Clone().RequiresGrad_();
        var b1 = Tensor.Randn([33], new Generator(8)).RequiresGrad_();
        var b2 = b1.Detach().Clone().RequiresGrad_();
        var y1 = Tensor.Linear(x1, stored, b1);
        var y2 = Tensor.Linear(x2, widened, b2);
        var upstream = Tensor.Randn([2, 7, 33], new Generator(9));
        y1.Backward(upstream);
        y2.Backward(upstream);
        TensorAssert.Close(y2, y1, 1e-4f, 1e-4f, "output");
        TensorAssert.Close(x2.Grad!, x1.Grad!, 1e-4f, 1e-4f, "input gradient");
        TensorAssert.Close(b2.Grad!, b1.Grad!, 1e-5f, 1e-5f, "bias gradient");
        using (Backend.Use(Reference))
        {
            var x3 = x1.Detach().Clone().RequiresGrad_();
            Tensor.Linear(x3, stored).Backward(upstream);
            TensorAssert.Close(x2.Grad!, x3.Grad!, 1e-4f, 1e-4f, "reference input gradient");
        }
    }

    [Theory]
    [InlineData(DType.BFloat16, StorageKind.Managed)]
    [InlineData(DType.Float16, StorageKind.Native)]
    [InlineData(DType.Float32, StorageKind.Native)]
    public void EmbeddingWidensTheRowsItReads(DType dtype, StorageKind kind)
    {
        var (stored, widened) = MakeWeight(12, 70, dtype, kind, 10);
        var ids = Tensor.FromArray(new long[] { 3, 0, 11, 3, 7, 1 }, 2, 3);
        var expected = Tensor.Embedding(ids, widened);
        TensorAssert.Close(expected, Tensor.Embedding(ids, stored), 0f, 0f);
        using (Backend.Use(Reference)) TensorAssert.Close(expected, Tensor.Embedding(ids, stored), 0f, 0f, "reference");
        var bad = Tensor.FromArray(new long[] { 12 }, 1);
        Assert.Contains("outside the table of 12 rows", Assert.Throws<ArgumentException>(() => Tensor.Embedding(bad, stored)).Message);
    }

    [Fact]
    public void AStoredWeightThatRequiresGradIsRefusedByName()
    {
        var (stored, _) = MakeWeight(4, 8, DType.Float32, StorageKind.Native, 11);
        stored.RequiresGrad = true;
        var e = Assert.Throws<InvalidOperationException>(() => Tensor.Linear(Tensor.Randn([2, 8], new Generator(1)), stored));
        Assert.Contains("native memory cannot be trained", e.Message);
    }

    [Fact]
    public void OtherOpsOnUnmanagedStorageSayWhereTheTensorLives()
    {
        var (stored, widened) = MakeWeight(4, 8, DType.Float32, StorageKind.Native, 12);
        var e = Assert.Throws<NotSupportedException>(() => stored.Add(widened));
        Assert.Contains("lives in native memory", e.Message);
        TensorAssert.Close(widened.Add(widened), stored.Clone().Add(widened), 0f, 0f, "a clone computes as usual");
        TensorAssert.Close(widened, stored.To(DType.Float32), 0f, 0f, "float32 stays float32");
        Assert.Equal(widened.ToArray(), stored.ToArray());
    }

    [Fact]
    public void AModelBuiltInsideMetaCostsNoMemoryAndTakesItsWeightsWithSet()
    {
        Tensor weight;
        using (Tensor.Meta())
        {
            weight = Tensor.Empty(3, 5);
            Assert.True(Tensor.Empty(1000, 1000).IsMeta);
            Assert.True(Tensor.Ones(7).IsMeta);
        }
        Assert.False(Tensor.Empty(2).IsMeta);
        Assert.Contains("has no data", Assert.Throws<InvalidOperationException>(() => weight.Add(weight)).Message);
        Assert.Contains("has no data", Assert.Throws<InvalidOperationException>(() => Tensor.Linear(Tensor.Randn([1, 5], new Generator(2)), weight)).Message);
        var (stored, widened) = MakeWeight(3, 5, DType.BFloat16, StorageKind.Native, 13);
        weight.Set(stored);
        Assert.Equal(DType.BFloat16, weight.DType);
        var x = Tensor.Randn([2, 5], new Generator(3));
        TensorAssert.Close(Tensor.Linear(x, widened), Tensor.Linear(x, weight), 1e-5f, 1e-5f);
        Assert.Throws<ArgumentException>(() => weight.Set(Tensor.Zeros(5, 3)));
    }

    [Fact]
    public void ATensorThatRequiresGradTakesOnlyAComputeDtype()
    {
        var p = Tensor.Zeros(2, 2).RequiresGrad_();
        var e = Assert.Throws<InvalidOperationException>(() => p.Set(Tensor.Zeros(2, 2).To(DType.BFloat16)));
        Assert.Contains("clear RequiresGrad first", e.Message);
    }
}
