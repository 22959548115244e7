using Sapling.Autograd;

namespace Sapling;

public sealed partial class Tensor
{
    /// <summary>Computes gradients of this scalar (or of <c>sum(this * gradient)</c>) with respect to every leaf that requires grad.</summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false) => BackwardEngine.Run(this, gradient, retainGraph);

    /// <summary>The same data, cut off from the graph.</summary>
    public Tensor Detach() => new(storage, shape, strides, offset, sharesStorage: true);

    /// <summary>
    /// Sets <see cref="RequiresGrad"/> and returns this tensor, for chaining (PyTorch's <c>requires_grad_</c>).
    /// </summary>
    public Tensor RequiresGrad_(bool requires = true)
    {
        RequiresGrad = requires;
        return this;
    }

    /// <summary>
    /// Sets the accumulated gradient to zeros in place, keeping its buffer; does nothing while
    /// <see cref="Grad"/> is null.
    /// </summary>
    public void ZeroGrad()
    {
        if (Grad == null) return;
        Grad.ThrowIfDisposed();
        // All-zero bits are 0 in every dtype, so a contiguous gradient is cleared as raw memory.
        if (Grad.IsContiguous) Array.Clear(Grad.storage.RawArray, Grad.offset, Grad.NumEl);
        else Grad.Fill(0f);
    }

    internal static bool AnyRequiresGrad(Tensor a) => a.requiresGrad && NoGrad.IsEnabled;

    internal static bool AnyRequiresGrad(Tensor a, Tensor b) => (a.requiresGrad || b.requiresGrad) && NoGrad.IsEnabled;

    /// <summary>Attaches a gradient rule to an op's result when any input requires grad and recording is on.</summary>
    internal static Tensor Record(Tensor result, string name, Tensor[] inputs, Func<Tensor, Tensor?[]> rule)
    {
        if (!NoGrad.IsEnabled) return result;
        bool any = false;
        foreach (var input in inputs) any |= input.requiresGrad;
        if (!any) return result;
        result.requiresGrad = true;
        result.GradFn = new GradFn(name, inputs, rule);
        return result;
    }

    internal static Tensor Record(Tensor result, string name, Tensor input, Func<Tensor, Tensor?> rule)
        => Record(result, name, [input], g => [rule(g)]);

    internal static Tensor Record(Tensor result, string name, Tensor a, Tensor b, Func<Tensor, (Tensor?, Tensor?)> rule)
        => Record(result, name, [a, b], g =>
        {
            var (ga, gb) = rule(g);
            return [ga, gb];
        });
}
