namespace Sapling.Backends;

/// <summary>The elementwise functions of two floats that cross the backend seam (see <see cref="UnaryOpKind"/> for why an enumeration).</summary>
public enum BinaryOpKind
{
    Add,
    Sub,
    Mul,
    Div,
    /// <summary>Larger of the two; NaN if either is NaN.</summary>
    Max,
    /// <summary>Smaller of the two; NaN if either is NaN.</summary>
    Min,
    Pow,
}
