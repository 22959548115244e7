namespace Sapling.Optim;

/// <summary>
/// Parameters that share hyper-parameters (PyTorch's param_groups), e.g. a pretrained backbone with a smaller learning
/// rate than a new head. Options not given fall back to the optimiser's defaults.
/// </summary>
public sealed class ParamGroup
{
    /// <summary>
    /// Creates a group. A learning rate or weight decay left null comes from the optimiser's defaults. Only float32
    /// parameters are accepted, since the updates work on float spans.
    /// </summary>
    public ParamGroup(IEnumerable<Tensor> parameters, double? learningRate = null, double? weightDecay = null)
    {
        Params = parameters.ToList();
        if (Params.Count == 0) throw new ArgumentException("a parameter group needs at least one parameter");
        foreach (var p in Params)
            if (p.DType != DType.Float32) throw new ArgumentException($"optimisers update float32 parameters, got {p.DType.Name()} of shape {ShapeUtil.Format(p.Shape.ToArray())}");
        if (learningRate is double lr) Options["lr"] = lr;
        if (weightDecay is double wd) Options["weight_decay"] = wd;
    }

    /// <summary>The parameters this group updates.</summary>
    public List<Tensor> Params { get; }

    /// <summary>Hyper-parameters by PyTorch's names (lr, weight_decay, momentum, beta1, beta2, eps, ...).</summary>
    public Dictionary<string, double> Options { get; } = new();

    /// <summary>The learning rate when the group was created; schedules scale from it.</summary>
    public double InitialLearningRate { get; internal set; }

    /// <summary>The group's current learning rate (option "lr"); schedulers change it.</summary>
    public double LearningRate
    {
        get => Options["lr"];
        set => Options["lr"] = value;
    }

    /// <summary>The hyper-parameter called <paramref name="option"/> (PyTorch's name, e.g. "momentum").</summary>
    public double this[string option] => Options[option];
}
