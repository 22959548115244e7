using Sapling.Autograd;

namespace Sapling.Optim;

/// <summary>Gradient-norm helpers for keeping updates bounded (PyTorch's clip_grad_norm_).</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales all gradients so their joint 2-norm is at most <paramref name="maxNorm"/> (torch.nn.utils.clip_grad_norm_)
    /// and returns the norm before clipping, which is worth logging: a growing norm warns of divergence.
    /// </summary>
    public static float ClipGradNorm(IEnumerable<Tensor> parameters, float maxNorm)
    {
        var grads = parameters.Where(p => p.Grad != null).Select(p => p.Grad!).ToList();
        double total = 0;
        foreach (var g in grads)
        {
            var s = g.Contiguous().AsSpan();
            total += System.Numerics.Tensors.TensorPrimitives.SumOfSquares(s);
        }
        float norm = (float)Math.Sqrt(total);
        float coefficient = maxNorm / (norm + 1e-6f);
        if (coefficient < 1f)
            using (NoGrad.Enter())
                foreach (var g in grads) g.MulInPlace(coefficient);
        return norm;
    }

    /// <summary>The joint 2-norm of all gradients, without changing them.</summary>
    public static float GradNorm(IEnumerable<Tensor> parameters)
    {
        double total = 0;
        foreach (var p in parameters)
            if (p.Grad != null) total += System.Numerics.Tensors.TensorPrimitives.SumOfSquares(p.Grad.Contiguous().AsSpan());
        return (float)Math.Sqrt(total);
    }
}
