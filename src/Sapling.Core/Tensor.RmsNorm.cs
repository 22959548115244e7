namespace Sapling;

public sealed partial class Tensor
{
    /// <summary>
    /// Root-mean-square normalisation of the last dimension (Zhang and Sennrich, 2019): x / √(mean(x²) + eps) · weight,
    /// as Llama's RMSNorm computes it. One kernel forward and backward; gradients reach input and weight.
    /// </summary>
    public static Tensor RmsNorm(Tensor input, Tensor weight, double eps = 1e-6)
    {
        RequireFloat("rms_norm", input, weight);
        if (input.Rank == 0 || weight.Rank != 1 || weight.shape[0] != input.shape[^1])
            throw new ArgumentException($"rms_norm: weight shape {ShapeUtil.Format(weight.shape)} must be the last dimension of input shape {ShapeUtil.Format(input.shape)}");
        int n = weight.shape[0];
        var x = input.Contiguous();
        var w = weight.Contiguous();
        int rows = n == 0 ? 0 : x.NumEl / n;
        var dtype = input.DType;
        var y = Uninitialized(dtype, (int[])input.shape.Clone());
        var rstd = Uninitialized(dtype, [rows]);
        TensorKernels.For(dtype).RmsNormForward(x, w, y, rstd, rows, n, eps);
        var recorded = Record(y, "rms_norm", [input, weight], g =>
        {
            var gc = g.Contiguous();
            var dx = input.requiresGrad ? Uninitialized(dtype, (int[])input.shape.Clone()) : null;
            var dw = weight.requiresGrad ? Uninitialized(dtype, [n]) : null;
            TensorKernels.For(dtype).RmsNormBackward(x, w, gc, rstd, dx, dw, rows, n);
            return [dx, dw];
        });
        // Without a recorded gradient the saved statistics have no reader.
        if (recorded.GradFn == null) rstd.Dispose();
        return recorded;
    }
}
