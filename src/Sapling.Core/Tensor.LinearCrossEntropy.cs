using Sapling.Autograd;

namespace Sapling;

public sealed partial class Tensor
{
    /// <summary>Rows of logits computed together: at most this many elements (64 MB of float32) exist at once (tests lower it).</summary>
    internal static long LinearCrossEntropyChunkElements = 1L << 24;

    /// <summary>
    /// Up to this many logits (512 MB of float32) the plain ops run: chunking costs one more GEMM, which is worth
    /// paying only where the memory is large (tests lower it).
    /// </summary>
    internal static long LinearCrossEntropyChunkedAbove = 1L << 27;

    /// <summary>
    /// cross_entropy(linear(hidden, weight), targets) for hidden [N, in], a linear head's weight [classes, in] (any
    /// storage) and class indices [N], without the [N, classes] logits: rows are scored a chunk at a time, and backward
    /// recomputes each chunk's logits to form its gradients. A language model's output layer over a 150,000-token
    /// vocabulary is where training memory goes (2,048 positions × 151,936 classes = 1.2 GB of logits, and as much
    /// again for their gradient); this keeps 64 MB of them. Sum or mean over the targets that are not
    /// <paramref name="ignoreIndex"/>, as <see cref="CrossEntropy"/>.
    /// </summary>
    public static Tensor LinearCrossEntropy(Tensor hidden, Tensor weight, Tensor targets, Reduction reduction = Reduction.Mean, long ignoreIndex = -100)
    {
        if (hidden.Rank != 2 || weight.Rank != 2 || hidden.shape[1] != weight.shape[1])
            throw new ArgumentException($"linear_cross_entropy: hidden {ShapeUtil.Format(hidden.shape)} and weight {ShapeUtil.Format(weight.shape)} must be [N, in] and [classes, in]");
        if (targets.Rank != 1 || targets.shape[0] != hidden.shape[0])
            throw new ArgumentException($"linear_cross_entropy: targets {ShapeUtil.Format(targets.shape)} must be [{hidden.shape[0]}]");
        if (reduction == Reduction.None) throw new ArgumentException("linear_cross_entropy: reduction none would keep every row's loss; use Linear then CrossEntropy");
        int n = hidden.shape[0], classes = weight.shape[0];
        int chunk = (int)Math.Clamp(LinearCrossEntropyChunkElements / Math.Max(1, classes), 1, Math.Max(1, n));
        bool weightTrains = weight.requiresGrad && NoGrad.IsEnabled;
        // Few rows, or a weight computed from others (whose gradient must flow on): the plain ops cost nothing extra.
        if ((long)n * classes <= LinearCrossEntropyChunkedAbove || (weightTrains && !weight.IsLeaf))
            return CrossEntropy(Linear(hidden, weight), targets, reduction, ignoreIndex);
        var t = targets.DType == DType.Int64 ? targets.Contiguous() : targets.To(DType.Int64);
        long counted = 0;
        foreach (long target in t.AsReadOnlySpan<long>()) if (target != ignoreIndex) counted++;
        double total = 0;
        using (NoGrad.Enter())
        {
            for (int start = 0; start < n; start += chunk)
            {
                using var scope = new TensorScope();
                int length = Math.Min(chunk, n - start);
                var logits = Linear(hidden.Narrow(0, start, length), weight);
                total += CrossEntropy(logits, t.Narrow(0, start, length), Reduction.Sum, ignoreIndex).ItemAsDouble();
            }
        }
        double divisor = reduction == Reduction.Mean ? counted : 1;
        var result = Scalar(total / divisor, hidden.DType);
        var inputs = weightTrains ? new[] { hidden, weight } : new[] { hidden };
        return Record(result, "linear_cross_entropy", inputs, g =>
        {
            double scale = g.ItemAsDouble() / divisor;
            var dHidden = hidden.requiresGrad ? Zeros([n, hidden.shape[1]], hidden.DType) : null;
            var dWeight = weightTrains ? Zeros([classes, weight.shape[1]], weight.DType) : null;
            for (int start = 0; start < n; start += chunk)
            {
                using var scope = new TensorScope();
                int length = Math.Min(chunk, n - start);
                var rows = hidden.Narrow(0, start, length);
                // The chunk's logits again, as a leaf, and their gradient from the cross-entropy rule alone.
                var logits = Linear(rows, weight).RequiresGrad_();
                using (NoGrad.Suspend()) CrossEntropy(logits, t.Narrow(0, start, length), Reduction.Sum, ignoreIndex).Mul(scale).Backward();
                var dLogits = logits.Grad!;
                if (dHidden != null)
                {
                    using var part = MatMulWeight(dLogits, weight);
                    dHidden.Narrow(0, start, length).CopyFrom(part);
                }
                if (dWeight != null)
                {
                    using var part = dLogits.T().MatMul(rows);
                    dWeight.AddInPlace(part);
                }
                logits.Grad = null;
            }
            return weightTrains ? [dHidden, dWeight] : [dHidden];
        });
    }
}
