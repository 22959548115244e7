using Sapling.Backends;

namespace Sapling;

public sealed partial class Tensor
{
    /// <summary>
    /// True for a weight that linear and embedding read in place through the stored-weight kernels: bfloat16, float16
    /// or a ggml block type anywhere, float32 outside managed memory (a mapped file, native memory), or a meta tensor
    /// (refused there with its own message).
    /// </summary>
    internal bool IsStoredWeight => storage.Kind == Memory.StorageKind.Meta
        || DType is DType.BFloat16 or DType.Float16 || DType.IsBlockQuantized()
        || (DType == DType.Float32 && storage.Kind != Memory.StorageKind.Managed);

    /// <summary>
    /// <see cref="Linear"/> with a weight in its stored dtype and memory. The weight is frozen (no gradient can be
    /// stored in it); the input and bias still get theirs, so adapters (LoRA) train over a mapped base model.
    /// </summary>
    private static Tensor LinearStored(Tensor input, Tensor weight, Tensor? bias)
    {
        RequireFloat32("linear", input);
        if (bias != null) RequireFloat32("linear", bias);
        if (weight.requiresGrad)
            throw new InvalidOperationException($"linear: a {weight.DType.Name()} weight in {weight.storage.Describe()} cannot be trained; freeze it (RequiresGrad = false) or load the model as float32 for full training");
        var (rows, inFeatures, outFeatures, outShape) = LinearShapes(input, weight, bias);
        Tensor result;
        using (Autograd.NoGrad.Enter())
        {
            using var x = Rows(input, rows, inFeatures);
            var y = OutputRows(DType.Float32, rows, outFeatures, bias);
            using (var pin = weight.storage.Pin())
                Backend.Current.LinearStored(x.FloatArray, x.offset, rows, StoredMatrixOf(weight, pin, "linear"), y.FloatArray, accumulate: bias != null);
            result = y.Reshape(outShape);
            y.Dispose();
        }
        var inputs = bias != null ? new[] { input, bias } : new[] { input };
        return Record(result, "linear", inputs, g =>
        {
            using var g2 = Rows(g, rows, outFeatures);
            Tensor? dInput = null;
            if (input.requiresGrad)
            {
                using var dx = MatMulWeight(g2, weight);
                dInput = dx.Reshape((int[])input.shape.Clone());
            }
            var dBias = bias is { requiresGrad: true } ? g2.Sum(0) : null;
            return bias != null ? [dInput, dBias] : [dInput];
        });
    }

    /// <summary>
    /// g·W for g [rows, out] and a linear layer's weight W [out, in] in any storage: the input gradient of
    /// <see cref="Linear"/>, without recording anything.
    /// </summary>
    internal static Tensor MatMulWeight(Tensor g, Tensor weight)
    {
        if (!weight.IsStoredWeight)
        {
            using (Autograd.NoGrad.Enter()) return g.MatMul(weight);
        }
        int rows = g.shape[0];
        var gc = g.Contiguous();
        var dx = Uninitialized(DType.Float32, [rows, weight.shape[1]]);
        using (var pin = weight.storage.Pin())
            Backend.Current.MatMulStored(gc.FloatArray, gc.offset, rows, StoredMatrixOf(weight, pin, "linear"), dx.FloatArray);
        if (!ReferenceEquals(gc, g)) gc.Dispose();
        return dx;
    }

    /// <summary>Rows of a stored table [num, dim] for integer ids, widened to float32 [..., dim]. The table is frozen.</summary>
    private static Tensor EmbeddingStored(Tensor ids, Tensor weight)
    {
        if (!ids.DType.IsIndexType()) throw new ArgumentException($"embedding: ids must be int32 or int64, got {ids.DType.Name()}");
        if (weight.requiresGrad)
            throw new InvalidOperationException($"embedding: a {weight.DType.Name()} table in {weight.storage.Describe()} cannot be trained; freeze it or load the model as float32 for full training");
        int num = weight.shape[0], dim = weight.shape[1];
        var index = ids.DType == DType.Int64 ? ids.ToArray<long>() : Array.ConvertAll(ids.ToArray<int>(), i => (long)i);
        foreach (long id in index)
            if (id < 0 || id >= num) throw new ArgumentException($"embedding: id {id} is outside the table of {num} rows");
        var y = Uninitialized(DType.Float32, ShapeUtil.Concat(ids.shape, [dim]));
        using (var pin = weight.storage.Pin())
            Backend.Current.EmbeddingStored(StoredMatrixOf(weight, pin, "embedding"), index, y.FloatArray);
        return y;
    }

    /// <summary>
    /// The weight as a kernel reads it, at the address <paramref name="pin"/> holds (valid while the pin is held):
    /// no delegate on the decode path, where this runs for every layer's every product.
    /// </summary>
    private static unsafe StoredMatrix StoredMatrixOf(Tensor weight, System.Buffers.MemoryHandle pin, string op)
    {
        weight.ThrowIfDisposed();
        int rows = weight.shape[0], cols = weight.shape[1];
        long rowStride = weight.strides[0], colStride = weight.strides[1];
        // A dimension of size 1 never steps, so its stride is free.
        if (cols == 1) colStride = 1;
        else if (rows == 1 && colStride != 1) rowStride = 1;
        if (colStride != 1 && rowStride != 1)
            throw new NotSupportedException($"{op}: a {weight.DType.Name()} weight with strides {ShapeUtil.Format(weight.strides)} is read in place only with contiguous rows or columns; copy it with Contiguous()");
        byte* start = (byte*)pin.Pointer + weight.DType.StorageBytes(weight.offset);
        return new StoredMatrix(start, weight.DType, rows, cols, rowStride, colStride);
    }
}
