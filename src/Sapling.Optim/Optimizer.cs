using System.Text.Json;
using Sapling.Autograd;

namespace Sapling.Optim;

/// <summary>
/// Base of the optimisers: parameter groups with defaults, per-parameter state tensors, zeroing gradients and
/// saving/restoring state (so a resumed run continues exactly).
/// </summary>
public abstract class Optimizer
{
    private readonly Dictionary<Tensor, Dictionary<string, Tensor>> state = new(ReferenceEqualityComparer.Instance);

    /// <summary>
    /// Creates the optimiser. <paramref name="defaults"/> fill each group's options that the group did not set itself;
    /// a parameter may appear in only one group.
    /// </summary>
    protected Optimizer(IEnumerable<ParamGroup> groups, IReadOnlyDictionary<string, double> defaults)
    {
        ParamGroups = groups.ToList();
        if (ParamGroups.Count == 0) throw new ArgumentException("an optimiser needs at least one parameter group");
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var g in ParamGroups)
        {
            foreach (var (k, v) in defaults) g.Options.TryAdd(k, v);
            g.InitialLearningRate = g.LearningRate;
            foreach (var p in g.Params)
                if (!seen.Add(p)) throw new ArgumentException($"a parameter of shape {ShapeUtil.Format(p.Shape.ToArray())} appears in more than one parameter group");
        }
    }

    /// <summary>The parameter groups, in the order given; their options include the optimiser's defaults.</summary>
    public IReadOnlyList<ParamGroup> ParamGroups { get; }

    /// <summary>Number of completed <see cref="Step"/> calls.</summary>
    public long StepCount { get; private set; }

    /// <summary>
    /// Clears the gradients of every parameter: drops them (the default, as in PyTorch) or, with
    /// <paramref name="setToNone"/> false, fills them with zeros.
    /// </summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var g in ParamGroups)
            foreach (var p in g.Params)
            {
                if (setToNone) p.Grad = null;
                else p.ZeroGrad();
            }
    }

    /// <summary>Updates every parameter that has a gradient; parameters without one (frozen, unused) are skipped.</summary>
    public void Step()
    {
        using var _ = NoGrad.Enter();
        foreach (var g in ParamGroups)
            foreach (var p in g.Params)
            {
                if (p.Grad == null) continue;
                if (!p.IsContiguous || !p.Grad.IsContiguous) throw new InvalidOperationException("optimisers need contiguous parameters and gradients");
                Update(g, p, p.AsSpan(), p.Grad.AsSpan(), StateOf(p));
            }
        StepCount++;
    }

    /// <summary>One parameter's update, in place.</summary>
    protected abstract void Update(ParamGroup group, Tensor parameter, Span<float> value, ReadOnlySpan<float> grad, Dictionary<string, Tensor> state);

    /// <summary>
    /// The state tensor called <paramref name="name"/>, created as zeros shaped like <paramref name="like"/> if missing
    /// (<paramref name="created"/> says so, for updates that initialise it from the first gradient).
    /// </summary>
    protected static Span<float> Buffer(Dictionary<string, Tensor> state, string name, Tensor like, out bool created)
    {
        created = !state.TryGetValue(name, out var t);
        if (created)
        {
            t = Tensor.Zeros(like.Shape.ToArray()).KeepAlive();
            state[name] = t;
        }
        return t!.AsSpan();
    }

    private Dictionary<string, Tensor> StateOf(Tensor p)
    {
        if (!state.TryGetValue(p, out var s)) state[p] = s = new Dictionary<string, Tensor>();
        return s;
    }

    /// <summary>
    /// The optimiser's state as named tensors ("state.{index}.{name}", parameters numbered across groups in order)
    /// plus JSON for the groups' hyper-parameters and the step count: the form checkpoints store.
    /// </summary>
    public (Dictionary<string, Tensor> Tensors, string Json) StateDict()
    {
        var tensors = new Dictionary<string, Tensor>();
        int index = 0;
        foreach (var g in ParamGroups)
            foreach (var p in g.Params)
            {
                if (state.TryGetValue(p, out var s))
                    foreach (var (name, t) in s) tensors[$"state.{index}.{name}"] = t;
                index++;
            }
        var groups = ParamGroups.Select(g => new Dictionary<string, object>
        {
            ["options"] = g.Options,
            ["initial_lr"] = g.InitialLearningRate,
            ["params"] = g.Params.Count,
        }).ToList();
        var json = JsonSerializer.Serialize(new Dictionary<string, object> { ["type"] = GetType().Name, ["step"] = StepCount, ["param_groups"] = groups });
        return (tensors, json);
    }

    /// <summary>
    /// Restores state saved by <see cref="StateDict"/>, replacing the current state, the groups' hyper-parameters and
    /// the step count. Refuses state from another optimiser type or with a different group/parameter layout.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> tensors, string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        string type = root.GetProperty("type").GetString() ?? "";
        if (type != GetType().Name) throw new InvalidOperationException($"optimiser state was saved by {type}, cannot load it into {GetType().Name}");
        var groups = root.GetProperty("param_groups").EnumerateArray().ToList();
        if (groups.Count != ParamGroups.Count)
            throw new InvalidOperationException($"optimiser state has {groups.Count} parameter groups, this optimiser has {ParamGroups.Count}");
        var parameters = new List<Tensor>();
        for (int i = 0; i < groups.Count; i++)
        {
            int count = groups[i].GetProperty("params").GetInt32();
            if (count != ParamGroups[i].Params.Count)
                throw new InvalidOperationException($"parameter group {i} had {count} parameters when saved, now it has {ParamGroups[i].Params.Count}");
            foreach (var o in groups[i].GetProperty("options").EnumerateObject()) ParamGroups[i].Options[o.Name] = o.Value.GetDouble();
            ParamGroups[i].InitialLearningRate = groups[i].GetProperty("initial_lr").GetDouble();
            parameters.AddRange(ParamGroups[i].Params);
        }
        state.Clear();
        foreach (var (key, t) in tensors)
        {
            var parts = key.Split('.', 3);
            if (parts.Length != 3 || parts[0] != "state" || !int.TryParse(parts[1], out int index) || index < 0 || index >= parameters.Count)
                throw new InvalidOperationException($"unexpected optimiser state entry '{key}'");
            var p = parameters[index];
            if (t.Rank > 0 && !t.Shape.SequenceEqual(p.Shape))
                throw new InvalidOperationException($"optimiser state '{key}' has shape {ShapeUtil.Format(t.Shape.ToArray())}, its parameter has {ShapeUtil.Format(p.Shape.ToArray())}");
            // State saved from (or converted to) another float dtype takes its parameter's, as the update needs.
            var typed = t.DType.IsComputeType() && t.DType != p.DType && p.DType.IsComputeType() ? t.To(p.DType) : t;
            StateOf(p)[parts[2]] = typed.Contiguous().Clone().KeepAlive();
        }
        StepCount = root.GetProperty("step").GetInt64();
    }
}
