using System.Numerics.Tensors;
using Sapling.Backends.Cpu;

namespace Sapling;

public sealed partial class Tensor
{
    public Tensor Neg() => Record(UnaryKernel<NegOp>(this, "neg"), "neg", this, g => g.Neg());

    public Tensor Exp()
    {
        var y = UnaryKernel<ExpOp>(this, "exp");
        return Record(y, "exp", this, g => g.Mul(y));
    }

    public Tensor Log()
    {
        var x = this;
        return Record(UnaryKernel<LogOp>(this, "log"), "log", this, g => g.Div(x));
    }

    public Tensor Sqrt()
    {
        var y = UnaryKernel<SqrtOp>(this, "sqrt");
        return Record(y, "sqrt", this, g => g.Div(y).Mul(0.5f));
    }

    public Tensor Rsqrt()
    {
        var y = UnaryKernel<RsqrtOp>(this, "rsqrt");
        return Record(y, "rsqrt", this, g => g.Mul(y.Mul(y).Mul(y)).Mul(-0.5f));
    }

    public Tensor Abs()
    {
        var x = this;
        return Record(UnaryKernel<AbsOp>(this, "abs"), "abs", this, g => g.Mul(x.Sign()));
    }

    public Tensor Sin()
    {
        var x = this;
        return Record(UnaryKernel<SinOp>(this, "sin"), "sin", this, g => g.Mul(x.Cos()));
    }

    public Tensor Cos()
    {
        var x = this;
        return Record(UnaryKernel<CosOp>(this, "cos"), "cos", this, g => g.Mul(x.Sin()).Neg());
    }

    public Tensor Square()
    {
        var x = this;
        return Record(UnaryKernel<SquareOp>(this, "square"), "square", this, g => g.Mul(x).Mul(2f));
    }

    public Tensor Reciprocal()
    {
        var y = UnaryKernel<ReciprocalOp>(this, "reciprocal");
        return Record(y, "reciprocal", this, g => g.Mul(y).Mul(y).Neg());
    }

    /// <summary>-1, 0 or 1 by sign (no gradient).</summary>
    public Tensor Sign()
    {
        RequireFloat("sign", this);
        var src = ContiguousFloats(this);
        var result = Uninitialized(DType.Float32, (int[])shape.Clone());
        var d = result.AsSpan();
        for (int i = 0; i < d.Length; i++) d[i] = src[i] > 0 ? 1f : src[i] < 0 ? -1f : 0f;
        return result;
    }

    public Tensor Tanh()
    {
        var y = UnaryKernel<TanhOp>(this, "tanh");
        return Record(y, "tanh", this, g => ActivationGrad.Tanh(g, y));
    }

    public Tensor Sigmoid()
    {
        var y = UnaryKernel<SigmoidOp>(this, "sigmoid");
        return Record(y, "sigmoid", this, g => ActivationGrad.Sigmoid(g, y));
    }

    public Tensor Relu()
    {
        var x = this;
        return Record(UnaryKernel<ReluOp>(this, "relu"), "relu", this, g => ActivationGrad.Relu(g, x));
    }

    /// <summary>x·sigmoid(x) (a.k.a. swish).</summary>
    public Tensor Silu()
    {
        var x = this;
        return Record(UnaryKernel<SiluOp>(this, "silu"), "silu", this, g => ActivationGrad.Silu(g, x));
    }

    /// <summary>Gaussian error linear unit: exact (erf) by default, or the tanh approximation GPT-2 uses.</summary>
    public Tensor Gelu(bool tanhApproximation = false)
    {
        RequireFloat("gelu", this);
        var x = Contiguous();
        var result = Uninitialized(DType.Float32, (int[])shape.Clone());
        var xa = x.FloatArray;
        var ra = result.FloatArray;
        int xo = x.offset;
        Elementwise.Chunked(result.NumEl, (s, n) => GeluKernel.Forward(xa.AsSpan(xo + s, n), ra.AsSpan(s, n), tanhApproximation));
        return Record(result, tanhApproximation ? "gelu_tanh" : "gelu", this, g =>
        {
            var gc = g.Contiguous();
            var dx = Uninitialized(DType.Float32, (int[])x.shape.Clone());
            var ga = gc.FloatArray;
            var da = dx.FloatArray;
            int go = gc.offset;
            Elementwise.Chunked(dx.NumEl, (s, n) => GeluKernel.Backward(xa.AsSpan(xo + s, n), ga.AsSpan(go + s, n), da.AsSpan(s, n), tanhApproximation));
            return dx;
        });
    }

    /// <summary>Converts to another dtype: float→bf16 rounds to nearest even; float→integer truncates toward zero, as PyTorch does.</summary>
    public Tensor To(DType dtype)
    {
        if (dtype == DType) return this;
        var src = Contiguous();
        var result = Uninitialized(dtype, (int[])shape.Clone());
        DTypeConversion.Convert(src, result);
        if (dtype == DType.Float32 && DType == DType.BFloat16) return result;
        return result;
    }
}

/// <summary>Fused backward kernels for activations: one pass, no temporaries.</summary>
internal static class ActivationGrad
{
    public static Tensor Tanh(Tensor g, Tensor y) => Map(g, y, static (gs, ys, d) =>
    {
        for (int i = 0; i < d.Length; i++) d[i] = gs[i] * (1f - ys[i] * ys[i]);
    });

    public static Tensor Sigmoid(Tensor g, Tensor y) => Map(g, y, static (gs, ys, d) =>
    {
        for (int i = 0; i < d.Length; i++) d[i] = gs[i] * ys[i] * (1f - ys[i]);
    });

    public static Tensor Relu(Tensor g, Tensor x) => Map(g, x, static (gs, xs, d) =>
    {
        for (int i = 0; i < d.Length; i++) d[i] = xs[i] > 0f ? gs[i] : 0f;
    });

    public static Tensor Silu(Tensor g, Tensor x) => Map(g, x, static (gs, xs, d) =>
    {
        // d/dx x·σ(x) = σ(x)·(1 + x·(1 − σ(x))); σ is computed into d first, then combined in place.
        FastMath.Sigmoid(xs, d);
        for (int i = 0; i < d.Length; i++) d[i] = gs[i] * d[i] * (1f + xs[i] * (1f - d[i]));
    });

    private delegate void Kernel(ReadOnlySpan<float> g, ReadOnlySpan<float> saved, Span<float> d);

    private static Tensor Map(Tensor g, Tensor saved, Kernel kernel)
    {
        var gc = g.Contiguous();
        var sc = saved.Contiguous();
        var d = Tensor.Uninitialized(DType.Float32, (int[])saved.shape.Clone());
        var ga = gc.FloatArray;
        var sa = sc.FloatArray;
        var da = d.FloatArray;
        int go = gc.offset, so = sc.offset;
        Elementwise.Chunked(d.NumEl, (s, n) => kernel(ga.AsSpan(go + s, n), sa.AsSpan(so + s, n), da.AsSpan(s, n)));
        return d;
    }
}
