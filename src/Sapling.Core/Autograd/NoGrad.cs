namespace Sapling.Autograd;

/// <summary>Inside this scope no op records gradients (inference, optimiser updates, gradient rules themselves).</summary>
public readonly struct NoGrad : IDisposable
{
    [ThreadStatic] private static int depth;

    private readonly bool active;

    private NoGrad(bool active)
    {
        this.active = active;
        if (active) depth++;
    }

    /// <summary>
    /// Starts a scope without gradient recording on this thread (PyTorch's <c>torch.no_grad()</c>); scopes nest, and
    /// recording resumes when the outermost is disposed.
    /// </summary>
    public static NoGrad Enter() => new(true);

    /// <summary>
    /// Whether ops on this thread record gradients now: outside every <see cref="Enter"/> scope, or inside
    /// <see cref="Suspend"/>.
    /// </summary>
    public static bool IsEnabled => depth == 0;

    /// <summary>
    /// Records gradients again until disposed, whatever encloses it (PyTorch's <c>torch.enable_grad()</c>): a gradient
    /// rule that recomputes a forward pass (activation checkpointing) needs a graph while the backward pass around it
    /// records none.
    /// </summary>
    public static IDisposable Suspend()
    {
        int saved = depth;
        depth = 0;
        return new Restore(saved);
    }

    private sealed class Restore(int saved) : IDisposable
    {
        private bool done;

        public void Dispose()
        {
            if (done) return;
            done = true;
            depth = saved;
        }
    }

    /// <summary>Closes the scope opened by <see cref="Enter"/>.</summary>
    public void Dispose()
    {
        if (active) depth--;
    }
}
