namespace Sapling;

public sealed partial class Tensor
{
    /// <summary>Sum of all elements (a scalar).</summary>
    public Tensor Sum() => Sum(AllDims(), keepDim: false);

    /// <summary>
    /// Sum over dimension <paramref name="dim"/>, which is removed unless <paramref name="keepDim"/>.
    /// </summary>
    public Tensor Sum(int dim, bool keepDim = false) => Sum([dim], keepDim);

    /// <summary>
    /// Sum over the listed dimensions, which are removed unless <paramref name="keepDim"/>; an empty list
    /// reduces nothing (the result has this tensor's shape).
    /// </summary>
    public Tensor Sum(int[] dims, bool keepDim = false)
    {
        RequireFloat("sum", this);
        var plan = ReducePlan.Create("sum", this, dims, keepDim);
        var x = plan.Input;
        var result = Uninitialized(DType, plan.OutShape);
        TensorKernels.For(DType).Sum(x, result, plan.Outer, plan.Reduce, plan.Inner);
        var inputShape = shape;
        var keptShape = plan.KeptShape;
        return Record(result, "sum", this, g => g.Reshape(keptShape).Expand(inputShape).Contiguous());
    }

    /// <summary>Mean of all elements (a scalar).</summary>
    public Tensor Mean() => Mean(AllDims(), keepDim: false);

    /// <summary>
    /// Mean over dimension <paramref name="dim"/>, which is removed unless <paramref name="keepDim"/>.
    /// </summary>
    public Tensor Mean(int dim, bool keepDim = false) => Mean([dim], keepDim);

    /// <summary>Mean over the listed dimensions, which are removed unless <paramref name="keepDim"/>.</summary>
    public Tensor Mean(int[] dims, bool keepDim = false)
    {
        int count = ReducePlan.CountReduced("mean", this, dims);
        return Sum(dims, keepDim).Div(count);
    }

    /// <summary>Variance with Bessel's correction by default (PyTorch's <c>correction=1</c>).</summary>
    public Tensor Var(int[] dims, int correction = 1, bool keepDim = false)
    {
        int count = ReducePlan.CountReduced("var", this, dims);
        var centered = Sub(Mean(dims, keepDim: true));
        return centered.Square().Sum(dims, keepDim).Div(Math.Max(count - correction, 0));
    }

    /// <summary>
    /// Variance over one dimension, dividing by (count - <paramref name="correction"/>): 1 gives the unbiased
    /// estimate, 0 the population variance.
    /// </summary>
    public Tensor Var(int dim, int correction = 1, bool keepDim = false) => Var([dim], correction, keepDim);

    /// <summary>
    /// Standard deviation over the listed dimensions: the square root of <see cref="Var(int[], int, bool)"/>.
    /// </summary>
    public Tensor Std(int[] dims, int correction = 1, bool keepDim = false) => Var(dims, correction, keepDim).Sqrt();

    /// <summary>Standard deviation over one dimension: the square root of <see cref="Var(int, int, bool)"/>.</summary>
    public Tensor Std(int dim, int correction = 1, bool keepDim = false) => Std([dim], correction, keepDim);

    /// <summary>log(sum(exp(x))) computed stably by subtracting the maximum first.</summary>
    public Tensor LogSumExp(int[] dims, bool keepDim = false)
    {
        Tensor m;
        using (Autograd.NoGrad.Enter())
        {
            var amax = Amax(dims, keepDim: true);
            m = Where(amax.Abs().Eq(float.PositiveInfinity), 0f, amax);
        }
        var lse = Sub(m).Exp().Sum(dims, keepDim: true).Log().Add(m);
        return keepDim ? lse : lse.Squeeze(dims);
    }

    /// <summary>log(sum(exp(x))) over one dimension, computed stably by subtracting the maximum first.</summary>
    public Tensor LogSumExp(int dim, bool keepDim = false) => LogSumExp([dim], keepDim);

    /// <summary>Maximum over dimensions; the gradient is shared evenly between tied maxima (PyTorch's amax).</summary>
    public Tensor Amax(int[] dims, bool keepDim = false) => Extreme(dims, keepDim, max: true);

    /// <summary>Minimum over dimensions; the gradient is shared evenly between tied minima (PyTorch's amin).</summary>
    public Tensor Amin(int[] dims, bool keepDim = false) => Extreme(dims, keepDim, max: false);

    /// <summary>Maximum of all elements.</summary>
    public Tensor Max() => Amax(AllDims());

    /// <summary>Minimum of all elements.</summary>
    public Tensor Min() => Amin(AllDims());

    /// <summary>Maximum along one dimension with the int64 index where it occurs (the first, at ties).</summary>
    public (Tensor Values, Tensor Indices) Max(int dim, bool keepDim = false) => ExtremeWithIndex(dim, keepDim, max: true);

    /// <summary>Minimum along one dimension with the int64 index where it occurs (the first, at ties).</summary>
    public (Tensor Values, Tensor Indices) Min(int dim, bool keepDim = false) => ExtremeWithIndex(dim, keepDim, max: false);

    /// <summary>
    /// The int64 index of the maximum along <paramref name="dim"/> (the first, at ties); not differentiable.
    /// </summary>
    public Tensor ArgMax(int dim, bool keepDim = false)
    {
        using var _ = Autograd.NoGrad.Enter();
        var (values, indices) = ExtremeWithIndex(dim, keepDim, max: true);
        values.Dispose();
        return indices;
    }

    /// <summary>
    /// The int64 index of the minimum along <paramref name="dim"/> (the first, at ties); not differentiable.
    /// </summary>
    public Tensor ArgMin(int dim, bool keepDim = false)
    {
        using var _ = Autograd.NoGrad.Enter();
        var (values, indices) = ExtremeWithIndex(dim, keepDim, max: false);
        values.Dispose();
        return indices;
    }

    /// <summary>Removes the listed size-1 dimensions.</summary>
    internal Tensor Squeeze(int[] dims)
    {
        var drop = new bool[Rank];
        foreach (int d in dims) drop[ShapeUtil.NormalizeDim("squeeze", d, Rank)] = true;
        var ns = new List<int>();
        for (int i = 0; i < Rank; i++) if (!drop[i] || shape[i] != 1) ns.Add(shape[i]);
        return Reshape(ns.ToArray());
    }

    private Tensor Extreme(int[] dims, bool keepDim, bool max)
    {
        string name = max ? "amax" : "amin";
        RequireFloat(name, this);
        var plan = ReducePlan.Create(name, this, dims, keepDim);
        if (plan.Reduce == 0) throw new ArgumentException($"{name}: cannot reduce over an empty dimension (shape {ShapeUtil.Format(shape)})");
        var x = plan.Input;
        var result = Uninitialized(DType, plan.OutShape);
        var indices = new long[result.NumEl];
        TensorKernels.For(DType).ArgExtreme(x, result, indices, plan.Outer, plan.Reduce, plan.Inner, max);
        var self = this;
        var keptShape = plan.KeptShape;
        var reducedDims = plan.Dims;
        return Record(result, name, this, g =>
        {
            using var kept = result.Reshape(keptShape);
            using var isExtreme = self.Eq(kept);
            using var mask = Where(isExtreme, 1f, ZerosLike(self));
            using var ties = mask.Sum(reducedDims, keepDim: true);
            return g.Reshape(keptShape).Div(ties).Mul(mask);
        });
    }

    private (Tensor, Tensor) ExtremeWithIndex(int dim, bool keepDim, bool max)
    {
        string name = max ? "max" : "min";
        RequireFloat(name, this);
        var plan = ReducePlan.Create(name, this, [dim], keepDim);
        if (plan.Reduce == 0) throw new ArgumentException($"{name}: cannot reduce over an empty dimension (shape {ShapeUtil.Format(shape)})");
        var x = plan.Input;
        var values = Uninitialized(DType, plan.OutShape);
        var indices = Uninitialized(DType.Int64, (int[])plan.OutShape.Clone());
        TensorKernels.For(DType).ArgExtreme(x, values, indices.ArrayOf<long>(), plan.Outer, plan.Reduce, plan.Inner, max);
        var inputShape = shape;
        var keptShape = plan.KeptShape;
        int d = plan.Dims[0];
        Record(values, name, this, g =>
        {
            var grad = Zeros(inputShape, g.DType);
            using var idx = indices.Reshape(keptShape);
            return grad.ScatterAddNoGrad(d, idx, g.Reshape(keptShape));
        });
        return (values, indices);
    }

    private int[] AllDims()
    {
        var dims = new int[Rank];
        for (int i = 0; i < dims.Length; i++) dims[i] = i;
        return dims;
    }

    /// <summary>How a reduction over some dimensions maps onto the [outer, reduce, inner] kernels.</summary>
    private sealed class ReducePlan
    {
        public required Tensor Input { get; init; }
        public required int Outer { get; init; }
        public required int Reduce { get; init; }
        public required int Inner { get; init; }
        public required int[] OutShape { get; init; }
        public required int[] KeptShape { get; init; }
        public required int[] Dims { get; init; }

        public static int CountReduced(string op, Tensor t, int[] dims)
        {
            int count = 1;
            foreach (int d in NormalizeDims(op, t, dims)) count *= t.shape[d];
            return count;
        }

        public static ReducePlan Create(string op, Tensor t, int[] dims, bool keepDim)
        {
            var sorted = NormalizeDims(op, t, dims);
            var reduced = new bool[t.Rank];
            foreach (int d in sorted) reduced[d] = true;
            var kept = new int[t.Rank];
            var outShape = new List<int>();
            for (int i = 0; i < t.Rank; i++)
            {
                kept[i] = reduced[i] ? 1 : t.shape[i];
                if (!reduced[i] || keepDim) outShape.Add(kept[i]);
            }
            bool consecutive = sorted.Length == 0 || sorted[^1] - sorted[0] == sorted.Length - 1;
            Tensor input;
            int outer = 1, reduce = 1, inner = 1;
            if (consecutive && t.IsContiguous)
            {
                input = t;
                int first = sorted.Length > 0 ? sorted[0] : t.Rank;
                int last = sorted.Length > 0 ? sorted[^1] : t.Rank - 1;
                for (int i = 0; i < first; i++) outer *= t.shape[i];
                for (int i = first; i <= last; i++) reduce *= t.shape[i];
                for (int i = last + 1; i < t.Rank; i++) inner *= t.shape[i];
            }
            else
            {
                var perm = new List<int>();
                for (int i = 0; i < t.Rank; i++) if (!reduced[i]) { perm.Add(i); outer *= t.shape[i]; }
                foreach (int d in sorted) { perm.Add(d); reduce *= t.shape[d]; }
                using (Autograd.NoGrad.Enter()) input = t.Permute(perm.ToArray()).ContiguousCopy();
            }
            return new ReducePlan { Input = input, Outer = outer, Reduce = reduce, Inner = inner, OutShape = outShape.ToArray(), KeptShape = kept, Dims = sorted };
        }

        private static int[] NormalizeDims(string op, Tensor t, int[] dims)
        {
            var set = new SortedSet<int>();
            foreach (int d in dims)
            {
                int n = ShapeUtil.NormalizeDim(op, d, t.Rank);
                if (!set.Add(n)) throw new ArgumentException($"{op}: dimension {d} appears twice in [{string.Join(", ", dims)}]");
            }
            if (t.Rank == 0) set.Clear();
            return set.ToArray();
        }
    }
}
