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

    public static NoGrad Enter() => new(true);

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

    public void Dispose()
    {
        if (active) depth--;
    }
}
