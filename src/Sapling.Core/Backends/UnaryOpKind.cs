namespace Sapling.Backends;

/// <summary>
/// The elementwise functions of one float that cross the backend seam. An enumeration rather than a generic op type
/// because another backend (a GPU one, the scalar reference) must be able to tell which function it is asked for;
/// the CPU backend turns each value back into its generic struct op, so the vectorised loops stay specialised.
/// </summary>
public enum UnaryOpKind
{
    /// <summary>-x.</summary>
    Neg,
    /// <summary>e^x.</summary>
    Exp,
    /// <summary>Natural logarithm.</summary>
    Log,
    /// <summary>Square root.</summary>
    Sqrt,
    /// <summary>1 / sqrt(x).</summary>
    Rsqrt,
    /// <summary>Absolute value.</summary>
    Abs,
    /// <summary>Sine (radians).</summary>
    Sin,
    /// <summary>Cosine (radians).</summary>
    Cos,
    /// <summary>x².</summary>
    Square,
    /// <summary>1 / x.</summary>
    Reciprocal,
    /// <summary>Hyperbolic tangent.</summary>
    Tanh,
    /// <summary>Logistic sigmoid, 1 / (1 + e^-x).</summary>
    Sigmoid,
    /// <summary>max(x, 0).</summary>
    Relu,
    /// <summary>x · sigmoid(x) (swish).</summary>
    Silu,
    /// <summary>The error function.</summary>
    Erf,
}
