namespace Sapling.Backends.Cpu;

/// <summary>Fused backward kernels for activations: one pass, no temporaries.</summary>
internal static class ActivationGrad
{
    /// <summary>From the output: d = g·(1 − y²).</summary>
    public static void Tanh(ReadOnlySpan<float> g, ReadOnlySpan<float> y, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = g[i] * (1f - y[i] * y[i]);
    }

    /// <summary>From the output: d = g·y·(1 − y).</summary>
    public static void Sigmoid(ReadOnlySpan<float> g, ReadOnlySpan<float> y, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = g[i] * y[i] * (1f - y[i]);
    }

    public static void Relu(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = x[i] > 0f ? g[i] : 0f;
    }

    public static void Silu(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> d)
    {
        // d/dx x·σ(x) = σ(x)·(1 + x·(1 − σ(x))); σ is computed into d first, then combined in place.
        FastMath.Sigmoid(x, d);
        for (int i = 0; i < d.Length; i++) d[i] = g[i] * d[i] * (1f + x[i] * (1f - d[i]));
    }
}
