using Sapling.Backends;

namespace Sapling;

public sealed partial class Tensor
{
    /// <summary>Elementwise negation, <c>-x</c>.</summary>
    public Tensor Neg() => Record(UnaryKernel(UnaryOpKind.Neg, this, "neg"), "neg", this, g => g.Neg());

    /// <summary>Elementwise e^x.</summary>
    public Tensor Exp()
    {
        var y = UnaryKernel(UnaryOpKind.Exp, this, "exp");
        return Record(y, "exp", this, g => g.Mul(y));
    }

    /// <summary>Elementwise natural logarithm (NaN below zero, -infinity at zero).</summary>
    public Tensor Log()
    {
        var x = this;
        return Record(UnaryKernel(UnaryOpKind.Log, this, "log"), "log", this, g => g.Div(x));
    }

    /// <summary>Elementwise square root.</summary>
    public Tensor Sqrt()
    {
        var y = UnaryKernel(UnaryOpKind.Sqrt, this, "sqrt");
        return Record(y, "sqrt", this, g => g.Div(y).Mul(0.5f));
    }

    /// <summary>Elementwise 1/sqrt(x).</summary>
    public Tensor Rsqrt()
    {
        var y = UnaryKernel(UnaryOpKind.Rsqrt, this, "rsqrt");
        return Record(y, "rsqrt", this, g => g.Mul(y.Mul(y).Mul(y)).Mul(-0.5f));
    }

    /// <summary>Elementwise absolute value; the gradient at 0 is 0.</summary>
    public Tensor Abs()
    {
        var x = this;
        return Record(UnaryKernel(UnaryOpKind.Abs, this, "abs"), "abs", this, g => g.Mul(x.Sign()));
    }

    /// <summary>Elementwise sine (radians).</summary>
    public Tensor Sin()
    {
        var x = this;
        return Record(UnaryKernel(UnaryOpKind.Sin, this, "sin"), "sin", this, g => g.Mul(x.Cos()));
    }

    /// <summary>Elementwise cosine (radians).</summary>
    public Tensor Cos()
    {
        var x = this;
        return Record(UnaryKernel(UnaryOpKind.Cos, this, "cos"), "cos", this, g => g.Mul(x.Sin()).Neg());
    }

    /// <summary>The error function, elementwise (ONNX Erf; GELU's exact form is built from it).</summary>
    public Tensor Erf()
    {
        var x = this;
        // d/dx erf(x) = 2/√π · exp(−x²)
        return Record(UnaryKernel(UnaryOpKind.Erf, this, "erf"), "erf", this, g => g.Mul(x.Square().Neg().Exp().Mul(1.1283791670955126f)));
    }

    /// <summary>Elementwise x².</summary>
    public Tensor Square()
    {
        var x = this;
        return Record(UnaryKernel(UnaryOpKind.Square, this, "square"), "square", this, g => g.Mul(x).Mul(2f));
    }

    /// <summary>Elementwise 1/x.</summary>
    public Tensor Reciprocal()
    {
        var y = UnaryKernel(UnaryOpKind.Reciprocal, this, "reciprocal");
        return Record(y, "reciprocal", this, g => g.Mul(y).Mul(y).Neg());
    }

    /// <summary>-1, 0 or 1 by sign (no gradient).</summary>
    public Tensor Sign()
    {
        RequireFloat("sign", this);
        return DType == DType.Float32 ? SignOf<float>(this) : SignOf<double>(this);
    }

    private static Tensor SignOf<T>(Tensor x) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var c = x.Contiguous();
        var src = c.ArrayOf<T>().AsSpan(c.offset, c.NumEl);
        var result = Uninitialized(x.DType, (int[])x.shape.Clone());
        var d = result.AsSpan<T>();
        for (int i = 0; i < d.Length; i++) d[i] = src[i] > T.Zero ? T.One : src[i] < T.Zero ? -T.One : T.Zero;
        return result;
    }

    /// <summary>Elementwise hyperbolic tangent.</summary>
    public Tensor Tanh()
    {
        var y = UnaryKernel(UnaryOpKind.Tanh, this, "tanh");
        return Record(y, "tanh", this, g => ActivationBackward(UnaryOpKind.Tanh, g, y));
    }

    /// <summary>Elementwise logistic sigmoid, 1 / (1 + e^-x).</summary>
    public Tensor Sigmoid()
    {
        var y = UnaryKernel(UnaryOpKind.Sigmoid, this, "sigmoid");
        return Record(y, "sigmoid", this, g => ActivationBackward(UnaryOpKind.Sigmoid, g, y));
    }

    /// <summary>Elementwise max(x, 0).</summary>
    public Tensor Relu()
    {
        var x = this;
        return Record(UnaryKernel(UnaryOpKind.Relu, this, "relu"), "relu", this, g => ActivationBackward(UnaryOpKind.Relu, g, x));
    }

    /// <summary>x·sigmoid(x) (a.k.a. swish).</summary>
    public Tensor Silu()
    {
        var x = this;
        return Record(UnaryKernel(UnaryOpKind.Silu, this, "silu"), "silu", this, g => ActivationBackward(UnaryOpKind.Silu, g, x));
    }

    /// <summary>The input gradient of an activation with a fused backward kernel, from its saved input or output.</summary>
    private static Tensor ActivationBackward(UnaryOpKind op, Tensor g, Tensor saved)
    {
        var gc = g.Contiguous();
        var sc = saved.Contiguous();
        var d = Uninitialized(saved.DType, (int[])saved.shape.Clone());
        TensorKernels.For(saved.DType).UnaryBackward(op, sc, gc, d);
        return d;
    }

    /// <summary>Gaussian error linear unit: exact (erf) by default, or the tanh approximation GPT-2 uses.</summary>
    public Tensor Gelu(bool tanhApproximation = false)
    {
        RequireFloat("gelu", this);
        var x = Contiguous();
        var result = Uninitialized(DType, (int[])shape.Clone());
        TensorKernels.For(DType).GeluForward(x, result, tanhApproximation);
        return Record(result, tanhApproximation ? "gelu_tanh" : "gelu", this, g =>
        {
            var gc = g.Contiguous();
            var dx = Uninitialized(x.DType, (int[])x.shape.Clone());
            TensorKernels.For(x.DType).GeluBackward(x, gc, dx, tanhApproximation);
            return dx;
        });
    }

    /// <summary>Converts to another dtype: float→bf16 rounds to nearest even; float→integer truncates toward zero, as PyTorch does. Float32 ↔ float64 passes gradients.</summary>
    public Tensor To(DType dtype)
    {
        if (dtype == DType) return this;
        // Weights in native or mapped memory are copied into managed memory first, where the conversion kernels work.
        var src = storage.Kind == Memory.StorageKind.Managed ? Contiguous() : ContiguousCopy();
        var result = Uninitialized(dtype, (int[])shape.Clone());
        Backend.Current.ConvertDType(DType, src.storage.RawArray, src.offset, dtype, result.storage.RawArray, result.NumEl);
        if (!ReferenceEquals(src, this) && storage.Kind != Memory.StorageKind.Managed) src.Dispose();
        // Between the compute dtypes the conversion is differentiable (as PyTorch's .to): the gradient converts back.
        if (!DType.IsComputeType() || !dtype.IsComputeType()) return result;
        var from = DType;
        return Record(result, "to", this, g => g.To(from));
    }
}
