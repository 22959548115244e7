namespace Sapling;

public sealed partial class Tensor
{
    /// <summary>
    /// Batch normalisation over the channel dimension of [N, C, *] (torch.nn.functional.batch_norm). In training the
    /// batch's mean and biased variance normalise, and the running estimates, when given, move toward the batch's
    /// (mean, and unbiased variance) by <paramref name="momentum"/>; otherwise the running estimates normalise. One fused
    /// pass computes y = x·γ/√(σ² + ε) + (β − μ·γ/√(σ² + ε)); the backward needs only x and two numbers per channel, where
    /// the same formula written with elementwise ops keeps five full-size intermediates for the graph.
    /// </summary>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, double momentum = 0.1, double eps = 1e-5)
    {
        RequireFloat("batch_norm", input);
        if (input.Rank < 2) throw new ArgumentException($"batch_norm: expected [N, C, ...], got shape {ShapeUtil.Format(input.shape)}");
        int n = input.shape[0], c = input.shape[1];
        int hw = c == 0 || n == 0 ? 0 : input.NumEl / (n * c);
        foreach (var (t, name) in new[] { (runningMean, "running_mean"), (runningVar, "running_var"), (weight, "weight"), (bias, "bias") })
        {
            if (t == null) continue;
            RequireFloat("batch_norm", input, t);
            if (t.Rank != 1 || t.shape[0] != c) throw new ArgumentException($"batch_norm: {name} has shape {ShapeUtil.Format(t.shape)}, expected [{c}] for input shape {ShapeUtil.Format(input.shape)}");
        }
        if (!training && (runningMean == null || runningVar == null)) throw new ArgumentException("batch_norm: evaluation needs running_mean and running_var");
        var dtype = input.DType;
        var kernels = TensorKernels.For(dtype);
        var x = input.Contiguous();
        var mean = Uninitialized(dtype, [c]);
        var rstd = Uninitialized(dtype, [c]);
        Tensor scale, shift;
        using (Autograd.NoGrad.Enter())
        {
            if (training)
            {
                if ((long)n * hw <= 1) throw new ArgumentException($"batch_norm: expected more than one value per channel when training, got input shape {ShapeUtil.Format(input.shape)}");
                using var variance = Uninitialized(dtype, [c]);
                kernels.ChannelMoments(x, n, c, hw, mean, variance);
                if (runningMean != null) runningMean.MulInPlace(1 - momentum).AddInPlace(mean, momentum);
                if (runningVar != null) runningVar.MulInPlace(1 - momentum).AddInPlace(variance, momentum * n * hw / (n * hw - 1.0));
                using var rs = variance.Add(eps).Rsqrt();
                rstd.CopyFrom(rs);
            }
            else
            {
                mean.CopyFrom(runningMean!);
                using var rs = runningVar!.Add(eps).Rsqrt();
                rstd.CopyFrom(rs);
            }
            (scale, shift) = AffineOf(mean, rstd, weight, bias);
        }
        var y = Uninitialized(dtype, (int[])input.shape.Clone());
        kernels.ChannelAffine(x, scale.Contiguous(), shift.Contiguous(), y, n, c, hw);
        scale.Dispose();
        shift.Dispose();
        var inputs = new List<Tensor> { input };
        if (weight != null) inputs.Add(weight);
        if (bias != null) inputs.Add(bias);
        var recorded = Record(y, "batch_norm", inputs.ToArray(), g =>
        {
            var gc = g.Contiguous();
            var dx = input.requiresGrad ? Uninitialized(dtype, (int[])input.shape.Clone()) : null;
            var sumDy = Uninitialized(dtype, [c]);
            var sumDyXhat = Uninitialized(dtype, [c]);
            TensorKernels.For(dtype).BatchNormBackward(x, gc, mean, rstd, weight?.Contiguous(), dx, sumDy, sumDyXhat, n, c, hw, training);
            var grads = new List<Tensor?> { dx };
            if (weight != null) grads.Add(weight.requiresGrad ? sumDyXhat : null);
            if (bias != null) grads.Add(bias.requiresGrad ? sumDy : null);
            return grads.ToArray();
        });
        if (recorded.GradFn == null)
        {
            mean.Dispose();
            rstd.Dispose();
        }
        return recorded;
    }

    /// <summary>
    /// Batch normalisation with given statistics as y = x·scale + shift per channel (for evaluation, or to fold into a
    /// convolution): scale = γ/√(σ² + ε), shift = β − μ·scale, computed as <see cref="BatchNorm"/> computes them. New
    /// tensors, no graph.
    /// </summary>
    public static (Tensor Scale, Tensor Shift) BatchNormAffine(Tensor mean, Tensor variance, Tensor? weight, Tensor? bias, double eps)
    {
        using (Autograd.NoGrad.Enter())
        {
            using var rstd = variance.Add(eps).Rsqrt();
            return AffineOf(mean, rstd, weight, bias);
        }
    }

    private static (Tensor Scale, Tensor Shift) AffineOf(Tensor mean, Tensor rstd, Tensor? weight, Tensor? bias)
    {
        var scale = weight != null ? weight.Mul(rstd) : rstd.Clone();
        var shift = mean.Mul(scale).Neg();
        if (bias != null) shift.AddInPlace(bias);
        return (scale, shift);
    }
}
