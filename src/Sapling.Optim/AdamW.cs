namespace Sapling.Optim;

/// <summary>Adam with decoupled weight decay (Loshchilov and Hutter): parameters shrink by lr·wd each step, outside the moments.</summary>
public sealed class AdamW : Adam
{
    /// <summary>Creates AdamW (torch.optim.AdamW) over one group of parameters.</summary>
    /// <param name="parameters">The float32 parameters to update.</param>
    /// <param name="lr">Learning rate (step size), at least 0.</param>
    /// <param name="beta1">Decay of the running mean of gradients (first moment), in [0, 1).</param>
    /// <param name="beta2">Decay of the running mean of squared gradients (second moment), in [0, 1).</param>
    /// <param name="eps">Added to the denominator so that tiny second moments do not blow up the step.</param>
    /// <param name="weightDecay">Decoupled decay: each step multiplies parameters by 1 − lr·weightDecay.</param>
    /// <param name="amsgrad">Use the maximum of past second moments (AMSGrad) in the denominator.</param>
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false)
        : this([new ParamGroup(parameters)], lr, beta1, beta2, eps, weightDecay, amsgrad)
    {
    }

    /// <summary>Creates AdamW over parameter groups; the arguments are defaults for unset group options.</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="lr">Learning rate (step size), at least 0.</param>
    /// <param name="beta1">Decay of the running mean of gradients (first moment), in [0, 1).</param>
    /// <param name="beta2">Decay of the running mean of squared gradients (second moment), in [0, 1).</param>
    /// <param name="eps">Added to the denominator so that tiny second moments do not blow up the step.</param>
    /// <param name="weightDecay">Decoupled decay: each step multiplies parameters by 1 − lr·weightDecay.</param>
    /// <param name="amsgrad">Use the maximum of past second moments (AMSGrad) in the denominator.</param>
    public AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false)
        : base(groups, lr, beta1, beta2, eps, weightDecay, amsgrad, decoupled: true)
    {
    }
}
