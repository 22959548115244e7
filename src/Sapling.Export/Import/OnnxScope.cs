using Sapling.NN;

namespace Sapling.Export.Import;

/// <summary>A prefix of dotted initializer names (e.g. <c>encoder</c> of <c>encoder.layer.0.weight</c>), holding what lies under it.</summary>
public sealed class OnnxScope : Module
{
    internal Tensor Register(string name, Tensor value, bool trainable, string fullName) => RegisterIn(this, name, value, trainable, fullName,
        (n, v) => RegisterParameter(n, v), (n, v) => RegisterBuffer(n, v));

    internal OnnxScope ChildScope(string name, string fullName) => ChildOf(this, name, fullName, (n, s) => RegisterModule(n, s));

    internal static Tensor RegisterIn(Module owner, string name, Tensor value, bool trainable, string fullName, Func<string, Tensor, Tensor> parameter, Func<string, Tensor, Tensor> buffer)
    {
        if (name.Length == 0 || owner.NamedChildren().Any(c => c.Name == name))
            throw new NotSupportedException($"initializer '{fullName}' cannot be named in a state dict: its dotted name has an empty part or is also the prefix of another initializer");
        return trainable ? parameter(name, value) : buffer(name, value);
    }

    internal static OnnxScope ChildOf(Module owner, string name, string fullName, Func<string, OnnxScope, OnnxScope> register)
    {
        if (name.Length == 0) throw new NotSupportedException($"initializer '{fullName}' cannot be named in a state dict: its dotted name has an empty part");
        foreach (var (childName, child) in owner.NamedChildren())
            if (childName == name) return (OnnxScope)child;
        if (owner.StateDict().ContainsKey(name)) throw new NotSupportedException($"initializer '{fullName}' cannot be named in a state dict: '{name}' is also an initializer of its own");
        return register(name, new OnnxScope());
    }
}
