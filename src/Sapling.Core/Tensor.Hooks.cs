namespace Sapling;

public sealed partial class Tensor
{
    private List<Action<Tensor>>? postAccumulateGradHooks;

    /// <summary>
    /// Calls <paramref name="hook"/> with this leaf each time a <see cref="Backward"/> has finished accumulating into
    /// its <see cref="Grad"/> (PyTorch's <c>register_post_accumulate_grad_hook</c>). The engine gathers every
    /// contribution to a leaf before it writes the leaf, so the hook runs once per backward, with the gradient of that
    /// backward complete; data-parallel training uses it to start all-reducing gradients while backward goes on.
    /// Dispose the result to remove the hook.
    /// </summary>
    public IDisposable RegisterPostAccumulateGradHook(Action<Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (!IsLeaf) throw new InvalidOperationException("post-accumulate-grad hooks can only be registered on leaf tensors (parameters)");
        (postAccumulateGradHooks ??= []).Add(hook);
        return new HookHandle(this, hook);
    }

    internal void RunPostAccumulateGradHooks()
    {
        if (postAccumulateGradHooks == null) return;
        foreach (var hook in postAccumulateGradHooks.ToArray()) hook(this);
    }

    private sealed class HookHandle(Tensor owner, Action<Tensor> hook) : IDisposable
    {
        public void Dispose() => owner.postAccumulateGradHooks?.Remove(hook);
    }
}
