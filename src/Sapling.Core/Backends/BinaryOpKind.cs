namespace Sapling.Backends;

/// <summary>The elementwise functions of two floats that cross the backend seam (see <see cref="UnaryOpKind"/> for why an enumeration).</summary>
public enum BinaryOpKind
{
    /// <summary>a + b.</summary>
    Add,
    /// <summary>a - b.</summary>
    Sub,
    /// <summary>a · b.</summary>
    Mul,
    /// <summary>a / b.</summary>
    Div,
    /// <summary>Larger of the two; NaN if either is NaN.</summary>
    Max,
    /// <summary>Smaller of the two; NaN if either is NaN.</summary>
    Min,
    /// <summary>a raised to the power b.</summary>
    Pow,
}
