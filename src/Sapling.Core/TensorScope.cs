namespace Sapling;

/// <summary>
/// Disposes, at its end, every tensor created inside it (on this thread) that was not marked with
/// <see cref="Tensor.KeepAlive"/>. Wrapping a training step in a scope returns all intermediate buffers to the pool,
/// so steady-state steps allocate no new memory.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? current;

    private readonly TensorScope? parent;
    private readonly List<Tensor> tracked = new();
    private bool disposed;

    /// <summary>Opens a scope on this thread; it becomes <see cref="Current"/> until disposed.</summary>
    public TensorScope()
    {
        parent = current;
        current = this;
    }

    /// <summary>The innermost open scope on this thread, or null when none is open.</summary>
    public static TensorScope? Current => current;

    /// <summary>How many tensors this scope will dispose at its end.</summary>
    public int TrackedCount => tracked.Count;

    internal static void Track(Tensor t) => current?.tracked.Add(t);

    internal static void Untrack(Tensor t)
    {
        for (var s = current; s != null; s = s.parent)
        {
            int i = s.tracked.LastIndexOf(t);
            if (i >= 0)
            {
                s.tracked.RemoveAt(i);
                return;
            }
        }
    }

    /// <summary>Hands a tensor to the enclosing scope instead of disposing it with this one.</summary>
    public Tensor MoveToParent(Tensor t)
    {
        int i = tracked.LastIndexOf(t);
        if (i >= 0) tracked.RemoveAt(i);
        parent?.tracked.Add(t);
        return t;
    }

    /// <summary>
    /// Runs <paramref name="body"/> in a scope of its own and keeps only its result (handed to the enclosing scope), so
    /// its intermediates go back to the pool as soon as it returns: a model's layer loop wrapped this way holds one
    /// layer's activations at a time during inference, not every layer's. While gradients are recorded the graph needs
    /// the intermediates, so the body then runs as it is.
    /// </summary>
    public static Tensor KeepOnlyResult(Func<Tensor> body)
    {
        if (Autograd.NoGrad.IsEnabled) return body();
        using var scope = new TensorScope();
        return scope.MoveToParent(body());
    }

    /// <summary>
    /// Disposes every tensor still tracked by this scope and makes the enclosing scope current again. Scopes must be
    /// disposed innermost first; another order is refused.
    /// </summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        if (current != this)
            throw new InvalidOperationException("TensorScopes must be disposed in the reverse order of creation");
        current = parent;
        foreach (var t in tracked) t.Dispose();
        tracked.Clear();
    }
}
