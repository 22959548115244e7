namespace Sapling.Optim;

/// <summary>
/// Adam (Kingma and Ba) with PyTorch's formulas: bias-corrected first and second moments, optional AMSGrad. Weight
/// decay is the classic L2 term added to the gradient; <see cref="AdamW"/> decouples it.
/// </summary>
public class Adam : Optimizer
{
    private readonly bool decoupledWeightDecay;

    /// <summary>Creates Adam over one group of parameters.</summary>
    /// <param name="parameters">The float32 parameters to update.</param>
    /// <param name="lr">Learning rate (step size), at least 0.</param>
    /// <param name="beta1">Decay of the running mean of gradients (first moment), in [0, 1).</param>
    /// <param name="beta2">Decay of the running mean of squared gradients (second moment), in [0, 1).</param>
    /// <param name="eps">Added to the denominator so that tiny second moments do not blow up the step.</param>
    /// <param name="weightDecay">L2 penalty coefficient, added to the gradient as weightDecay·parameter.</param>
    /// <param name="amsgrad">Use the maximum of past second moments (AMSGrad, Reddi et al.) in the denominator.</param>
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false)
        : this([new ParamGroup(parameters)], lr, beta1, beta2, eps, weightDecay, amsgrad)
    {
    }

    /// <summary>Creates Adam over parameter groups; the arguments are defaults for unset group options.</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="lr">Learning rate (step size), at least 0.</param>
    /// <param name="beta1">Decay of the running mean of gradients (first moment), in [0, 1).</param>
    /// <param name="beta2">Decay of the running mean of squared gradients (second moment), in [0, 1).</param>
    /// <param name="eps">Added to the denominator so that tiny second moments do not blow up the step.</param>
    /// <param name="weightDecay">L2 penalty coefficient, added to the gradient as weightDecay·parameter.</param>
    /// <param name="amsgrad">Use the maximum of past second moments (AMSGrad, Reddi et al.) in the denominator.</param>
    public Adam(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false)
        : this(groups, lr, beta1, beta2, eps, weightDecay, amsgrad, decoupled: false)
    {
    }

    /// <summary>
    /// Creates the optimiser for Adam and, with <paramref name="decoupled"/> true, for <see cref="AdamW"/>, whose
    /// weight decay shrinks the parameters directly instead of adding an L2 term to the gradient.
    /// </summary>
    protected Adam(IEnumerable<ParamGroup> groups, double lr, double beta1, double beta2, double eps, double weightDecay, bool amsgrad, bool decoupled)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["beta1"] = beta1, ["beta2"] = beta2, ["eps"] = eps, ["weight_decay"] = weightDecay, ["amsgrad"] = amsgrad ? 1 : 0,
        })
    {
        if (lr < 0) throw new ArgumentOutOfRangeException(nameof(lr), $"{GetType().Name}: learning rate must be ≥ 0, got {lr}");
        if (beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta1), $"{GetType().Name}: betas must be in [0, 1), got ({beta1}, {beta2})");
        decoupledWeightDecay = decoupled;
    }

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, Tensor parameter, Span<float> value, ReadOnlySpan<float> grad, Dictionary<string, Tensor> state)
    {
        double lr = group["lr"], beta1 = group["beta1"], beta2 = group["beta2"], eps = group["eps"], wd = group["weight_decay"];
        bool amsgrad = group["amsgrad"] != 0;
        var m = Buffer(state, "exp_avg", parameter, out _);
        var v = Buffer(state, "exp_avg_sq", parameter, out _);
        var stepTensor = StepTensor(state);
        long step = ++stepTensor.AsSpan<long>()[0];
        var vMax = amsgrad ? Buffer(state, "max_exp_avg_sq", parameter, out _) : default;
        double biasCorrection1 = 1 - Math.Pow(beta1, step);
        double biasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, step));
        float stepSize = (float)(lr / biasCorrection1);
        float b1 = (float)beta1, b2 = (float)beta2, epsF = (float)eps, wdF = (float)wd;
        float inverseBc2Sqrt = (float)(1 / biasCorrection2Sqrt);
        if (decoupledWeightDecay && wd != 0)
        {
            float keep = (float)(1 - lr * wd);
            for (int i = 0; i < value.Length; i++) value[i] *= keep;
        }
        for (int i = 0; i < value.Length; i++)
        {
            float g = decoupledWeightDecay ? grad[i] : grad[i] + wdF * value[i];
            m[i] = b1 * m[i] + (1f - b1) * g;
            v[i] = b2 * v[i] + (1f - b2) * g * g;
            float second = v[i];
            if (amsgrad)
            {
                vMax[i] = MathF.Max(vMax[i], v[i]);
                second = vMax[i];
            }
            float denom = MathF.Sqrt(second) * inverseBc2Sqrt + epsF;
            value[i] -= stepSize * m[i] / denom;
        }
    }

    private static Tensor StepTensor(Dictionary<string, Tensor> state)
    {
        if (!state.TryGetValue("step", out var t))
        {
            t = Tensor.Zeros([], DType.Int64).KeepAlive();
            state["step"] = t;
        }
        return t;
    }
}
