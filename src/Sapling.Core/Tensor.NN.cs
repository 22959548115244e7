namespace Sapling;

public sealed partial class Tensor
{
    /// <summary>Numerically stable softmax along <paramref name="dim"/> (fused forward and backward kernels).</summary>
    public Tensor Softmax(int dim = -1) => SoftmaxCore("softmax", dim, log: false);

    /// <summary>Numerically stable log-softmax along <paramref name="dim"/>.</summary>
    public Tensor LogSoftmax(int dim = -1) => SoftmaxCore("log_softmax", dim, log: true);

    private Tensor SoftmaxCore(string name, int dim, bool log)
    {
        RequireFloat(name, this);
        int d = ShapeUtil.NormalizeDim(name, dim, Rank);
        if (Rank > 0 && d != Rank - 1)
            return Transpose(d, -1).SoftmaxCore(name, -1, log).Transpose(d, -1);
        var x = Contiguous();
        int n = Rank == 0 ? 1 : shape[^1];
        int rows = n == 0 ? 0 : x.NumEl / n;
        var y = Uninitialized(DType, (int[])shape.Clone());
        TensorKernels.For(DType).SoftmaxForward(x, y, rows, n, log);
        return Record(y, name, this, g => SoftmaxGradient(y, g, rows, n, log));
    }

    /// <summary>The input gradient of a (log-)softmax over rows of <paramref name="n"/>, from its output.</summary>
    private static Tensor SoftmaxGradient(Tensor y, Tensor g, int rows, int n, bool log)
    {
        var gc = g.Contiguous();
        var dx = Uninitialized(y.DType, (int[])y.shape.Clone());
        TensorKernels.For(y.DType).SoftmaxBackward(y, gc, dx, rows, n, log);
        return dx;
    }

    /// <summary>
    /// Softmax over the last dimension of causal attention scores [.., queries, keys]: query i sees keys 0 .. offset + i
    /// (offset = keys already cached before these queries), later keys get weight 0. The same as
    /// <c>MaskedFill(future, −∞).Softmax(-1)</c>, without building the mask or the filled copy.
    /// </summary>
    public Tensor CausalSoftmax(int offset = 0)
    {
        RequireFloat("causal_softmax", this);
        if (Rank < 2) throw new ArgumentException($"causal_softmax: needs [.., queries, keys], got shape {ShapeUtil.Format(shape)}");
        if (offset < 0) throw new ArgumentOutOfRangeException(nameof(offset), $"causal_softmax: offset must be 0 or more, got {offset}");
        var x = Contiguous();
        int n = shape[^1], queries = shape[^2];
        int rows = n == 0 ? 0 : x.NumEl / n;
        var y = Uninitialized(DType, (int[])shape.Clone());
        TensorKernels.For(DType).CausalSoftmaxForward(x, y, rows, n, queries, offset);
        // Hidden keys have y = 0, so the ordinary softmax backward gives them a zero gradient.
        return Record(y, "causal_softmax", this, g => SoftmaxGradient(y, g, rows, n, log: false));
    }

    /// <summary>Layer normalisation over the trailing <paramref name="normalizedShape"/> dimensions, with optional affine weight and bias.</summary>
    public static Tensor LayerNorm(Tensor input, int[] normalizedShape, Tensor? weight, Tensor? bias, double eps = 1e-5)
    {
        RequireFloat("layer_norm", input);
        if (weight != null) RequireFloat("layer_norm", input, weight);
        if (bias != null) RequireFloat("layer_norm", input, bias);
        int k = normalizedShape.Length;
        if (k == 0 || k > input.Rank || !input.shape.AsSpan(input.Rank - k).SequenceEqual(normalizedShape))
            throw new ArgumentException($"layer_norm: normalized shape {ShapeUtil.Format(normalizedShape)} does not match the trailing dimensions of input shape {ShapeUtil.Format(input.shape)}");
        foreach (var (p, pname) in new[] { (weight, "weight"), (bias, "bias") })
            if (p != null && !ShapeUtil.SameShape(p.shape, normalizedShape))
                throw new ArgumentException($"layer_norm: {pname} shape {ShapeUtil.Format(p.shape)} differs from normalized shape {ShapeUtil.Format(normalizedShape)}");
        int n = ShapeUtil.Numel(normalizedShape);
        var x = input.Contiguous();
        var w = weight?.Contiguous();
        var b = bias?.Contiguous();
        int rows = n == 0 ? 0 : x.NumEl / n;
        var dtype = input.DType;
        var kernels = TensorKernels.For(dtype);
        var y = Uninitialized(dtype, (int[])input.shape.Clone());
        var mean = Uninitialized(dtype, [rows]);
        var rstd = Uninitialized(dtype, [rows]);
        kernels.LayerNormForward(x, w, b, y, mean, rstd, rows, n, eps);
        var inputs = new List<Tensor> { input };
        if (weight != null) inputs.Add(weight);
        if (bias != null) inputs.Add(bias);
        var recorded = Record(y, "layer_norm", inputs.ToArray(), g =>
        {
            var gc = g.Contiguous();
            var dx = input.requiresGrad ? Uninitialized(dtype, (int[])input.shape.Clone()) : null;
            var dw = weight is { requiresGrad: true } ? Uninitialized(dtype, (int[])weight.shape.Clone()) : null;
            var db = bias is { requiresGrad: true } ? Uninitialized(dtype, (int[])bias.shape.Clone()) : null;
            TensorKernels.For(dtype).LayerNormBackward(x, w, gc, mean, rstd, dx, dw, db, rows, n);
            var grads = new List<Tensor?> { dx };
            if (weight != null) grads.Add(dw);
            if (bias != null) grads.Add(db);
            return grads.ToArray();
        });
        // Without a recorded gradient the saved statistics have no reader; they go back to the pool now.
        if (recorded.GradFn == null)
        {
            mean.Dispose();
            rstd.Dispose();
        }
        return recorded;
    }

    /// <summary>Zeroes each element with probability p and scales the rest by 1/(1−p) while training; identity otherwise.</summary>
    public Tensor Dropout(float p, bool training = true, Generator? generator = null)
    {
        RequireFloat("dropout", this);
        if (p < 0f || p > 1f) throw new ArgumentOutOfRangeException(nameof(p), $"dropout: probability must be in [0, 1], got {p}");
        if (!training || p == 0f) return this;
        var g = generator ?? Generator.Default;
        var mask = Uninitialized(DType, (int[])shape.Clone());
        TensorKernels.For(DType).DropoutMask(g, p, mask);
        Tensor result;
        using (Autograd.NoGrad.Enter()) result = Mul(mask);
        return Record(result, "dropout", this, grad => grad.Mul(mask));
    }

    /// <summary>
    /// Cross-entropy between logits [N, C] (or [N, C, d1, ...]) and int64 class targets [N] (or [N, d1, ...]), as
    /// torch.nn.functional.cross_entropy: targets equal to <paramref name="ignoreIndex"/> contribute nothing, and
    /// label smoothing mixes the one-hot target with the uniform distribution.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets, Reduction reduction = Reduction.Mean, long ignoreIndex = -100, double labelSmoothing = 0)
    {
        RequireFloat("cross_entropy", logits);
        if (labelSmoothing < 0f || labelSmoothing > 1f) throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"cross_entropy: label smoothing must be in [0, 1], got {labelSmoothing}");
        if (logits.Rank < 1) throw new ArgumentException("cross_entropy: logits need a class dimension");
        var input = logits;
        if (logits.Rank == 1) input = logits.Unsqueeze(0);
        int classes = input.shape[1];
        var expectedTargets = new List<int> { input.shape[0] };
        for (int i = 2; i < input.Rank; i++) expectedTargets.Add(input.shape[i]);
        var targetShape = logits.Rank == 1 ? new[] { 1 } : targets.shape;
        if (!targetShape.AsSpan().SequenceEqual(expectedTargets.ToArray()) && !(logits.Rank == 1 && targets.NumEl == 1))
            throw new ArgumentException($"cross_entropy: targets of shape {ShapeUtil.Format(targets.shape)} do not match logits of shape {ShapeUtil.Format(logits.shape)} (expected {ShapeUtil.Format(expectedTargets.ToArray())})");
        if (input.Rank > 2)
        {
            // Move classes last so every position is one contiguous row.
            var perm = new List<int> { 0 };
            for (int i = 2; i < input.Rank; i++) perm.Add(i);
            perm.Add(1);
            input = input.Permute(perm.ToArray()).Reshape(-1, classes);
        }
        var x = input.Contiguous();
        int rows = x.shape[0];
        var t = targets.DType switch
        {
            DType.Int64 => targets.Reshape(-1).ToArray<long>(),
            DType.Int32 => Array.ConvertAll(targets.Reshape(-1).ToArray<int>(), v => (long)v),
            _ => throw new ArgumentException($"cross_entropy: targets must be int64 class indices, got {targets.DType.Name()}"),
        };
        for (int i = 0; i < t.Length; i++)
            if (t[i] != ignoreIndex && (t[i] < 0 || t[i] >= classes))
                throw new IndexOutOfRangeException($"cross_entropy: target {t[i]} at position {i} is out of range for {classes} classes");
        var dtype = logits.DType;
        var kernels = TensorKernels.For(dtype);
        var losses = Uninitialized(dtype, [rows]);
        var lse = Uninitialized(dtype, [rows]);
        int counted = kernels.CrossEntropyForward(x, t, losses, lse, rows, classes, ignoreIndex, labelSmoothing);
        Tensor result;
        switch (reduction)
        {
            case Reduction.None:
                result = losses.Reshape(logits.Rank == 1 ? [] : (int[])targets.shape.Clone());
                break;
            case Reduction.Sum:
                result = Scalar(kernels.SumAsDouble(losses), dtype);
                break;
            default:
                result = Scalar(counted == 0 ? double.NaN : kernels.SumAsDouble(losses) / counted, dtype);
                break;
        }
        var flatShape = x.shape;
        var recorded = Record(result, "cross_entropy", [input], g =>
        {
            var rowScale = reduction == Reduction.None
                ? g.Contiguous().Reshape(rows).ContiguousCopy()
                : Full([rows], g.ItemAsDouble() / (reduction == Reduction.Mean ? Math.Max(counted, 1) : 1), dtype);
            var dx = Uninitialized(dtype, (int[])flatShape.Clone());
            TensorKernels.For(dtype).CrossEntropyBackward(x, t, lse, rowScale, dx, rows, classes, ignoreIndex, labelSmoothing);
            rowScale.Dispose();
            return [dx];
        });
        if (recorded.GradFn == null) lse.Dispose();
        if (reduction != Reduction.None) losses.Dispose();
        return recorded;
    }
}
