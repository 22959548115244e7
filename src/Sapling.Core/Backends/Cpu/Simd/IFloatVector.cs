namespace Sapling.Backends.Cpu.Simd;

/// <summary>
/// A register of float lanes, so a kernel is written once and compiled for 256- and 512-bit registers. The runtime's
/// own ISimdVector is not implemented publicly by Vector256/Vector512 in .NET 10; these wrappers are single-field
/// structs that the JIT keeps in registers, and every member is inlined.
/// </summary>
internal interface IFloatVector<TSelf> where TSelf : struct, IFloatVector<TSelf>
{
    static abstract int Count { get; }
    static abstract TSelf Zero { get; }
    static abstract TSelf One { get; }
    static abstract TSelf Create(float value);

    /// <summary>The first <see cref="Count"/> elements of <paramref name="source"/>.</summary>
    static abstract TSelf Load(ReadOnlySpan<float> source);

    static abstract void Store(TSelf value, Span<float> destination);

    static abstract TSelf operator +(TSelf a, TSelf b);
    static abstract TSelf operator -(TSelf a, TSelf b);
    static abstract TSelf operator *(TSelf a, TSelf b);
    static abstract TSelf operator /(TSelf a, TSelf b);
    static abstract TSelf operator -(TSelf a);

    /// <summary>a·b + c with one rounding.</summary>
    static abstract TSelf FusedMultiplyAdd(TSelf a, TSelf b, TSelf c);

    static abstract TSelf Min(TSelf a, TSelf b);
    static abstract TSelf Max(TSelf a, TSelf b);
    static abstract TSelf Abs(TSelf a);

    /// <summary>Round to the nearest integer, ties to even.</summary>
    static abstract TSelf Round(TSelf a);

    /// <summary>y·2ⁿ for integral n in [−127, 128], in two steps so n = 128 (just below float overflow) stays finite.</summary>
    static abstract TSelf ScaleByPowerOfTwo(TSelf y, TSelf n);

    /// <summary>|magnitude| with the sign bit of <paramref name="sign"/>.</summary>
    static abstract TSelf CopySign(TSelf magnitude, TSelf sign);

    /// <summary>All-ones lanes where a &lt; b (false for NaN).</summary>
    static abstract TSelf LessThan(TSelf a, TSelf b);

    /// <summary>All-ones lanes where a &gt; b (false for NaN).</summary>
    static abstract TSelf GreaterThan(TSelf a, TSelf b);

    /// <summary>All-ones lanes where a is not NaN.</summary>
    static abstract TSelf IsNumber(TSelf a);

    /// <summary>Per lane: <paramref name="mask"/> set ? <paramref name="whenTrue"/> : <paramref name="whenFalse"/>.</summary>
    static abstract TSelf Select(TSelf mask, TSelf whenTrue, TSelf whenFalse);

    static abstract float Sum(TSelf a);
    static abstract float MaxAcross(TSelf a);
}
