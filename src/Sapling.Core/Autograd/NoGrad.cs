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

    public void Dispose()
    {
        if (active) depth--;
    }
}
