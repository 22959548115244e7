using Sapling.Autograd;

namespace Sapling;

public sealed partial class Tensor
{
    /// <summary>
    /// Matrix product with torch.matmul's rules: 1-D operands are treated as vectors, leading (batch) dimensions
    /// broadcast. Transposed views are multiplied without a copy.
    /// </summary>
    public Tensor MatMul(Tensor other)
    {
        RequireFloat("matmul", this, other);
        var a = this;
        var b = other;
        if (a.Rank == 0 || b.Rank == 0)
            throw new ArgumentException($"matmul: both operands need at least one dimension, got shapes {ShapeUtil.Format(a.shape)} and {ShapeUtil.Format(b.shape)}");
        if (a.Rank == 1 && b.Rank == 1)
        {
            CheckInner(a.shape[0], b.shape[0], a, b);
            return a.Mul(b).Sum();
        }
        if (a.Rank == 1) return a.Unsqueeze(0).MatMul(b).Squeeze(-2);
        if (b.Rank == 1) return a.MatMul(b.Unsqueeze(-1)).Squeeze(-1);

        int m = a.shape[^2], k = a.shape[^1], n = b.shape[^1];
        CheckInner(k, b.shape[^2], a, b);
        Tensor result;
        if (b.Rank == 2 && a.Rank > 2 && a.IsContiguous)
        {
            // A stack of rows times one matrix is one large product: fold the batch into M.
            using var _ = NoGrad.Enter();
            var rows = a.Reshape(-1, k);
            var flat = MatMul2D(rows, b);
            var outShape = (int[])a.shape.Clone();
            outShape[^1] = n;
            result = flat.Reshape(outShape);
        }
        else if (a.Rank == 2 && b.Rank == 2)
        {
            result = MatMul2D(a, b);
        }
        else
        {
            result = MatMulBatched(a, b, m, k, n);
        }
        return Record(result, "matmul", a, b, g => MatMulBackward(g, a, b));
    }

    private static (Tensor?, Tensor?) MatMulBackward(Tensor g, Tensor a, Tensor b)
    {
        Tensor? ga = null, gb = null;
        if (a.requiresGrad) ga = g.MatMul(b.Transpose(-1, -2)).SumToShape(a.shape);
        if (b.requiresGrad)
        {
            if (b.Rank == 2 && a.Rank > 2)
            {
                int k = a.shape[^1], n = b.shape[^1];
                gb = a.Reshape(-1, k).Transpose(0, 1).MatMul(g.Reshape(-1, n));
            }
            else
            {
                gb = a.Transpose(-1, -2).MatMul(g).SumToShape(b.shape);
            }
        }
        return (ga, gb);
    }

    private static void CheckInner(int ka, int kb, Tensor a, Tensor b)
    {
        if (ka != kb)
            throw new ArgumentException($"matmul: shapes {ShapeUtil.Format(a.shape)} and {ShapeUtil.Format(b.shape)} cannot be multiplied ({ka} columns vs {kb} rows)");
    }

    /// <summary>Describes how a matrix view is laid out for GEMM: row-major, or column-major (= transposed), or neither.</summary>
    private static bool GemmLayout(int rowStride, int colStride, int rows, int cols, out bool transposed, out int ld)
    {
        if (colStride == 1 && (rowStride >= Math.Max(cols, 1) || rows == 1))
        {
            transposed = false;
            ld = Math.Max(rowStride, Math.Max(cols, 1));
            return true;
        }
        if (rowStride == 1 && (colStride >= Math.Max(rows, 1) || cols == 1))
        {
            transposed = true;
            ld = Math.Max(colStride, Math.Max(rows, 1));
            return true;
        }
        transposed = false;
        ld = 0;
        return false;
    }

    private static Tensor MatMul2D(Tensor a, Tensor b)
    {
        int m = a.shape[0], k = a.shape[1], n = b.shape[1];
        if (!GemmLayout(a.strides[0], a.strides[1], m, k, out bool ta, out int lda)) { a = a.ContiguousCopy(); ta = false; lda = Math.Max(k, 1); }
        if (!GemmLayout(b.strides[0], b.strides[1], k, n, out bool tb, out int ldb)) { b = b.ContiguousCopy(); tb = false; ldb = Math.Max(n, 1); }
        if (k == 0) return Zeros([m, n], a.DType);
        var c = Uninitialized(a.DType, [m, n]);
        TensorKernels.For(a.DType).Gemm(ta, tb, m, n, k, a, a.offset, lda, b, b.offset, ldb, c, 0, Math.Max(n, 1));
        return c;
    }

    /// <summary>alpha·A·B over broadcast batch dimensions, without autograd.</summary>
    private static Tensor MatMulBatched(Tensor a, Tensor b, int m, int k, int n, double alpha = 1)
    {
        var batchA = a.shape.AsSpan(0, a.Rank - 2);
        var batchB = b.shape.AsSpan(0, b.Rank - 2);
        var batch = ShapeUtil.Broadcast("matmul", batchA, batchB);
        var av = a.BroadcastViewTo("matmul", ShapeUtil.Concat(batch, [m, k]));
        var bv = b.BroadcastViewTo("matmul", ShapeUtil.Concat(batch, [k, n]));
        int r = batch.Length;
        if (!GemmLayout(av.strides[r], av.strides[r + 1], m, k, out bool ta, out int lda))
        {
            av = av.ContiguousCopy();
            ta = false;
            lda = Math.Max(k, 1);
        }
        if (!GemmLayout(bv.strides[r], bv.strides[r + 1], k, n, out bool tb, out int ldb))
        {
            bv = bv.ContiguousCopy();
            tb = false;
            ldb = Math.Max(n, 1);
        }
        var outShape = ShapeUtil.Concat(batch, [m, n]);
        if (k == 0) return Zeros(outShape, a.DType);
        var c = Uninitialized(a.DType, outShape);
        var offA = BatchOffsets(batch, av.strides, av.offset);
        var offB = BatchOffsets(batch, bv.strides, bv.offset);
        TensorKernels.For(a.DType).GemmBatched(ta, tb, m, n, k, av, offA, lda, bv, offB, ldb, c, m * n, Math.Max(n, 1), alpha);
        return c;
    }

    private static int[] BatchOffsets(int[] batch, int[] strides, int offset)
    {
        int count = ShapeUtil.Numel(batch);
        var offsets = new int[count];
        var counter = new int[batch.Length];
        int at = offset;
        for (int i = 0; i < count; i++)
        {
            offsets[i] = at;
            for (int d = batch.Length - 1; d >= 0; d--)
            {
                counter[d]++;
                at += strides[d];
                if (counter[d] < batch[d]) break;
                at -= strides[d] * batch[d];
                counter[d] = 0;
            }
        }
        return offsets;
    }
}
