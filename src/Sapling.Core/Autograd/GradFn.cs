namespace Sapling.Autograd;

/// <summary>
/// The record of one differentiable op: its inputs and the rule that turns the gradient of its output into
/// gradients of its inputs (one entry per input, null where the input needs none).
/// </summary>
public sealed class GradFn
{
    private Func<Tensor, Tensor?[]>? backward;

    internal GradFn(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        Name = name;
        Inputs = inputs;
        this.backward = backward;
    }

    /// <summary>The op's name, as in PyTorch's grad_fn (e.g. "matmul", "softmax").</summary>
    public string Name { get; }

    /// <summary>The tensors the op read, in the order its gradient rule returns their gradients.</summary>
    public IReadOnlyList<Tensor> Inputs { get; }

    internal Tensor?[] Apply(Tensor gradOutput)
    {
        var rule = backward ?? throw new InvalidOperationException(
            $"the graph through '{Name}' was already used by a Backward() call and freed; pass retainGraph: true to the first call to backward through it twice");
        var grads = rule(gradOutput);
        if (grads.Length != Inputs.Count)
            throw new InvalidOperationException($"internal error: gradient rule of '{Name}' returned {grads.Length} gradients for {Inputs.Count} inputs");
        return grads;
    }

    internal void Release() => backward = null;

    /// <summary>The op's name in PyTorch's form, e.g. <c>&lt;matmulBackward&gt;</c>.</summary>
    public override string ToString() => $"<{Name}Backward>";
}
