using System.Text;
using Sapling.Autograd;

namespace Sapling.NN;

/// <summary>
/// Base of every layer and model: named parameters, buffers and child modules registered explicitly (their dotted
/// names are the checkpoint keys, as in PyTorch's state_dict), train/eval mode, freezing and state loading.
/// </summary>
public abstract class Module
{
    private readonly List<(string Name, Tensor Value)> parameters = new();
    private readonly List<(string Name, Tensor Value, bool Persistent)> buffers = new();
    private readonly List<(string Name, Module Value)> children = new();

    /// <summary>True in training mode (dropout active, batch norm uses batch statistics); see <see cref="Train"/>.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Registers a trainable tensor under <paramref name="name"/>; it requires grad and outlives any TensorScope.</summary>
    protected Tensor RegisterParameter(string name, Tensor value)
    {
        CheckName(name);
        value.KeepAlive();
        if (value.IsLeaf && !value.RequiresGrad) value.RequiresGrad = true;
        parameters.Add((name, value));
        return value;
    }

    /// <summary>Registers state that is saved with the model but not trained (running statistics, masks).</summary>
    protected Tensor RegisterBuffer(string name, Tensor value, bool persistent = true)
    {
        CheckName(name);
        value.KeepAlive();
        buffers.Add((name, value, persistent));
        return value;
    }

    /// <summary>Registers a child module under <paramref name="name"/> (keys become "name.…"); returns it.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        children.Add((name, module));
        return module;
    }

    /// <summary>Swaps a registered child for another under the same name (e.g. a new classifier head).</summary>
    protected T ReplaceChild<T>(string name, T module) where T : Module
    {
        int i = children.FindIndex(c => c.Name == name);
        if (i < 0) throw new KeyNotFoundException($"{GetType().Name} has no child module '{name}'");
        children[i] = (name, module);
        return module;
    }

    /// <summary>Removes a registered child (e.g. an adapter being unloaded); its parameters leave the state dict.</summary>
    protected void RemoveChild(string name)
    {
        int i = children.FindIndex(c => c.Name == name);
        if (i < 0) throw new KeyNotFoundException($"{GetType().Name} has no child module '{name}'");
        children.RemoveAt(i);
    }

    /// <summary>Removes a registered parameter (e.g. a float weight replaced by its int8 form); it leaves the state dict.</summary>
    protected void RemoveParameter(string name)
    {
        int i = parameters.FindIndex(p => p.Name == name);
        if (i < 0) throw new KeyNotFoundException($"{GetType().Name} has no parameter '{name}'");
        parameters.RemoveAt(i);
    }

    /// <summary>
    /// Swaps the "weight" parameter for its int8 form: the parameter leaves, and the int8 values ("weight", shape
    /// <paramref name="storedShape"/>) and per-channel scales ("weight_scale") become buffers, so state dicts carry them
    /// under the usual names. The values live packed in the layer's <see cref="Sapling.Quantization.QuantizedWeight"/>: the buffer is a
    /// placeholder without data, and <see cref="StateDictTensor"/> unpacks them when a state dict is taken.
    /// </summary>
    protected void ReplaceWeightWithInt8(int[] storedShape, Tensor scale)
    {
        RemoveParameter("weight");
        RegisterBuffer("weight", Tensor.Placeholder(DType.Int8, storedShape));
        RegisterBuffer("weight_scale", scale);
    }

    /// <summary>
    /// The tensor a state dict holds for this module's own parameter or buffer <paramref name="name"/>: the registered
    /// one, unless the module keeps the values in another form (PyTorch's _save_to_state_dict; int8 layers unpack theirs).
    /// </summary>
    protected virtual Tensor StateDictTensor(string name, Tensor registered) => registered;

    /// <summary>Replaces a registered buffer's tensor (e.g. a running statistic updated out of place).</summary>
    protected void SetBuffer(string name, Tensor value)
    {
        int i = buffers.FindIndex(b => b.Name == name);
        if (i < 0) throw new KeyNotFoundException($"{GetType().Name} has no buffer '{name}'");
        value.KeepAlive();
        buffers[i] = (name, value, buffers[i].Persistent);
    }

    /// <summary>
    /// Trainable tensors with their dotted names (checkpoint keys), this module's own first, then each child's in
    /// registration order; with <paramref name="recurse"/> false, only this module's own.
    /// </summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(bool recurse = true)
    {
        foreach (var (name, p) in parameters) yield return (name, p);
        if (!recurse) yield break;
        foreach (var (childName, child) in children)
            foreach (var (name, p) in child.NamedParameters()) yield return ($"{childName}.{name}", p);
    }

    /// <summary>The tensors of <see cref="NamedParameters"/> without names, e.g. to hand to an optimiser.</summary>
    public IEnumerable<Tensor> Parameters(bool recurse = true)
    {
        foreach (var (_, p) in NamedParameters(recurse)) yield return p;
    }

    /// <summary>
    /// Buffers (non-trained state such as running statistics) with their dotted names, always including descendants';
    /// with <paramref name="persistentOnly"/>, only those saved in the state dict.
    /// </summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(bool persistentOnly = false)
    {
        foreach (var (name, b, persistent) in buffers)
            if (persistent || !persistentOnly) yield return (name, b);
        foreach (var (childName, child) in children)
            foreach (var (name, b) in child.NamedBuffers(persistentOnly)) yield return ($"{childName}.{name}", b);
    }

    /// <summary>The direct children with the names they were registered under (not grandchildren).</summary>
    public IEnumerable<(string Name, Module Child)> NamedChildren() => children;

    /// <summary>This module and all descendants with their dotted paths ("" for this one).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules()
    {
        yield return ("", this);
        foreach (var (childName, child) in children)
            foreach (var (name, m) in child.NamedModules()) yield return (name.Length == 0 ? childName : $"{childName}.{name}", m);
    }

    /// <summary>Sets training mode here and in every descendant.</summary>
    public Module Train(bool mode = true)
    {
        Training = mode;
        foreach (var (_, child) in children) child.Train(mode);
        return this;
    }

    /// <summary>Switches this module and every descendant to inference mode; same as <c>Train(false)</c>.</summary>
    public Module Eval() => Train(false);

    /// <summary>
    /// Parameters and persistent buffers by dotted name as registered: the tensors a loader fills (an int8 layer's
    /// values are a placeholder here, where <see cref="StateDict"/> unpacks them).
    /// </summary>
    public Dictionary<string, Tensor> RegisteredTensors()
    {
        var own = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p) in NamedParameters()) own[name] = p;
        foreach (var (name, b) in NamedBuffers(persistentOnly: true)) own[name] = b;
        return own;
    }

    /// <summary>Parameters and persistent buffers by dotted name, in registration order (PyTorch's state_dict).</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>();
        foreach (var (name, p) in NamedParameters()) state[name] = p;
        foreach (var (path, module) in NamedModules())
            foreach (var (name, b, persistent) in module.buffers)
                if (persistent) state[path.Length == 0 ? name : $"{path}.{name}"] = module.StateDictTensor(name, b);
        return state;
    }

    /// <summary>
    /// Copies values into this module's tensors in place (optimisers keep their references). With
    /// <paramref name="strict"/>, missing or unexpected keys are an error that lists them; otherwise they are returned.
    /// A shape mismatch is always an error naming the key and both shapes.
    /// </summary>
    /// <param name="assign">Each of the module's tensors takes the state's tensor itself instead of a copy of its values
    /// (PyTorch's <c>assign=True</c>): no second copy of the weights, and a module built inside <see cref="Tensor.Meta"/>
    /// gets its memory this way.</param>
    public LoadStateResult LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true, bool assign = false)
    {
        // The registered tensors themselves (not StateDict's unpacked copies of int8 values): they are what is filled.
        var own = RegisteredTensors();
        var result = new LoadStateResult(own.Keys.Where(k => !state.ContainsKey(k)).ToList(), state.Keys.Where(k => !own.ContainsKey(k)).ToList());
        if (strict && !result.IsExact)
            throw new InvalidOperationException($"error loading state into {GetType().Name}: {result.Describe()}");
        foreach (var (key, target) in own)
        {
            if (!state.TryGetValue(key, out var source)) continue;
            if (!source.Shape.SequenceEqual(target.Shape))
                throw new InvalidOperationException($"error loading '{key}': checkpoint shape {ShapeUtil.Format(source.Shape.ToArray())} differs from the model's {ShapeUtil.Format(target.Shape.ToArray())}");
            if (target.IsMeta && target.DType == DType.Int8)
                throw new InvalidOperationException($"error loading '{key}': the layer is int8-quantized and its values are packed for the kernel; load int8 weights with the layer's LoadQuantized");
            using var _ = NoGrad.Enter();
            if (assign && source.DType == target.DType) target.Set(source);
            else if (assign) using (var converted = source.To(target.DType)) target.Set(converted);
            else target.CopyFrom(source.DType == target.DType ? source : source.To(target.DType));
        }
        return result;
    }

    /// <summary>Clears gradients; with <paramref name="setToNone"/> (PyTorch's default) the buffers go back to the pool.</summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var p in Parameters())
        {
            if (setToNone) p.Grad = null;
            else p.ZeroGrad();
        }
    }

    /// <summary>Stops training the parameters whose dotted names match a glob (<c>*</c> matches anything, dots included); returns how many matched.</summary>
    public int Freeze(string pattern = "*") => SetRequiresGrad(pattern, false);

    /// <summary>
    /// Makes the parameters whose dotted names match a glob trainable again (<c>*</c> matches anything, dots included);
    /// returns how many matched and throws when none does, as <see cref="Freeze"/> does.
    /// </summary>
    public int Unfreeze(string pattern = "*") => SetRequiresGrad(pattern, true);

    private int SetRequiresGrad(string pattern, bool requiresGrad)
    {
        var regex = new System.Text.RegularExpressions.Regex("^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace("\\*", ".*").Replace("\\?", ".") + "$");
        int count = 0;
        foreach (var (name, p) in NamedParameters())
        {
            if (!regex.IsMatch(name)) continue;
            p.RequiresGrad = requiresGrad;
            if (!requiresGrad) p.Grad = null;
            count++;
        }
        if (count == 0)
            throw new ArgumentException($"no parameter name matches '{pattern}'; names look like: {string.Join(", ", NamedParameters().Take(5).Select(p => p.Name))}");
        return count;
    }

    /// <summary>Number of parameter elements, optionally only those that train.</summary>
    public long ParameterCount(bool trainableOnly = false)
    {
        long n = 0;
        foreach (var p in Parameters()) if (!trainableOnly || p.RequiresGrad) n += p.NumEl;
        return n;
    }

    /// <summary>
    /// Runs one layer of a model's stack on <paramref name="input"/>: with <paramref name="recompute"/> its activations
    /// are recomputed in backward (<see cref="Tensor.Checkpoint"/>, gradient checkpointing); otherwise, during inference,
    /// its intermediates go back to the pool as soon as it returns (<see cref="TensorScope.KeepOnlyResult"/>).
    /// </summary>
    public static Tensor RunLayer(Module layer, Tensor input, bool recompute, Func<Tensor, Tensor> forward) =>
        recompute ? Tensor.Checkpoint(forward, input, layer.Parameters()) : TensorScope.KeepOnlyResult(() => forward(input));

    /// <summary>One line describing this module's own settings, e.g. "in_features=64, out_features=10, bias=True".</summary>
    protected virtual string ExtraRepr() => "";

    /// <summary>A PyTorch-like tree: <c>Sequential(\n  (0): Linear(in_features=64, ...)\n)</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(GetType().Name).Append('(').Append(ExtraRepr());
        if (children.Count > 0)
        {
            sb.Append('\n');
            foreach (var (name, child) in children)
                sb.Append("  (").Append(name).Append("): ").Append(child.ToString().Replace("\n", "\n  ")).Append('\n');
        }
        return sb.Append(')').ToString();
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"invalid name '{name}' in {GetType().Name}: names must be non-empty and contain no '.'");
        if (parameters.Any(p => p.Name == name) || buffers.Any(b => b.Name == name) || children.Any(c => c.Name == name))
            throw new ArgumentException($"{GetType().Name} already has a member named '{name}'");
    }
}

/// <summary>A module with one input and one output type; most layers are <c>Module&lt;Tensor, Tensor&gt;</c>.</summary>
public abstract class Module<TIn, TOut> : Module
{
    /// <summary>Runs the module on <paramref name="input"/>; each layer documents its input and output shape.</summary>
    public abstract TOut Forward(TIn input);
}
