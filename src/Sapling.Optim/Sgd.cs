namespace Sapling.Optim;

/// <summary>Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay (torch.optim.SGD).</summary>
public sealed class Sgd : Optimizer
{
    /// <summary>Creates SGD over one group of parameters.</summary>
    /// <param name="parameters">The float32 parameters to update.</param>
    /// <param name="lr">Learning rate, at least 0.</param>
    /// <param name="momentum">Momentum factor; 0 (the default) is plain SGD with no state.</param>
    /// <param name="dampening">Fraction of the new gradient left out of the momentum buffer.</param>
    /// <param name="weightDecay">L2 penalty coefficient, added to the gradient as weightDecay·parameter.</param>
    /// <param name="nesterov">Nesterov momentum; needs momentum &gt; 0 and dampening 0.</param>
    public Sgd(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : this([new ParamGroup(parameters)], lr, momentum, dampening, weightDecay, nesterov)
    {
    }

    /// <summary>Creates SGD over parameter groups; the arguments are defaults for unset group options.</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="lr">Learning rate, at least 0.</param>
    /// <param name="momentum">Momentum factor; 0 (the default) is plain SGD with no state.</param>
    /// <param name="dampening">Fraction of the new gradient left out of the momentum buffer.</param>
    /// <param name="weightDecay">L2 penalty coefficient, added to the gradient as weightDecay·parameter.</param>
    /// <param name="nesterov">Nesterov momentum; needs momentum &gt; 0 and dampening 0.</param>
    public Sgd(IEnumerable<ParamGroup> groups, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["momentum"] = momentum, ["dampening"] = dampening, ["weight_decay"] = weightDecay, ["nesterov"] = nesterov ? 1 : 0,
        })
    {
        if (lr < 0) throw new ArgumentOutOfRangeException(nameof(lr), $"SGD: learning rate must be ≥ 0, got {lr}");
        if (nesterov && (momentum <= 0 || dampening != 0)) throw new ArgumentException("SGD: Nesterov momentum needs momentum > 0 and dampening 0");
    }

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, Tensor parameter, Span<float> value, ReadOnlySpan<float> grad, Dictionary<string, Tensor> state)
    {
        float lr = (float)group["lr"], momentum = (float)group["momentum"], dampening = (float)group["dampening"], wd = (float)group["weight_decay"];
        bool nesterov = group["nesterov"] != 0;
        if (momentum == 0)
        {
            for (int i = 0; i < value.Length; i++) value[i] -= lr * (grad[i] + wd * value[i]);
            return;
        }
        var buf = Buffer(state, "momentum_buffer", parameter, out bool first);
        for (int i = 0; i < value.Length; i++)
        {
            float g = grad[i] + wd * value[i];
            float b = first ? g : momentum * buf[i] + (1f - dampening) * g;
            buf[i] = b;
            value[i] -= lr * (nesterov ? g + momentum * b : b);
        }
    }
}
