namespace Sapling.Backends;

/// <summary>
/// The elementwise functions of one float that cross the backend seam. An enumeration rather than a generic op type
/// because another backend (a GPU one, the scalar reference) must be able to tell which function it is asked for;
/// the CPU backend turns each value back into its generic struct op, so the vectorised loops stay specialised.
/// </summary>
public enum UnaryOpKind
{
    Neg,
    Exp,
    Log,
    Sqrt,
    Rsqrt,
    Abs,
    Sin,
    Cos,
    Square,
    Reciprocal,
    Tanh,
    Sigmoid,
    Relu,
    Silu,
    Erf,
}
