using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sapling.Backends.Cpu.Simd;

/// <summary>Eight (Float256) or sixteen (Float512) float lanes; see <see cref="IFloatVector{TSelf}"/>.</summary>
internal readonly struct Float256 : IFloatVector<Float256>
{
    public readonly Vector256<float> Value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Float256(Vector256<float> value) => Value = value;

    public static int Count => Vector256<float>.Count;
    public static Float256 Zero => new(Vector256<float>.Zero);
    public static Float256 One => new(Vector256<float>.One);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float256 Create(float value) => new(Vector256.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float256 Load(ReadOnlySpan<float> source) => new(Vector256.Create(source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Float256 value, Span<float> destination) => value.Value.CopyTo(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float256 operator +(Float256 a, Float256 b) => new(a.Value + b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float256 operator -(Float256 a, Float256 b) => new(a.Value - b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float256 operator *(Float256 a, Float256 b) => new(a.Value * b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float256 operator /(Float256 a, Float256 b) => new(a.Value / b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float256 operator -(Float256 a) => new(-a.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float256 FusedMultiplyAdd(Float256 a, Float256 b, Float256 c) => new(Vector256.FusedMultiplyAdd(a.Value, b.Value, c.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float256 Min(Float256 a, Float256 b) => new(Vector256.Min(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float256 Max(Float256 a, Float256 b) => new(Vector256.Max(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float256 Abs(Float256 a) => new(Vector256.Abs(a.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float256 Round(Float256 a) => new(Vector256.Round(a.Value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 ScaleByPowerOfTwo(Float256 y, Float256 n)
    {
        var ni = Vector256.ConvertToInt32(n.Value);
        var half = Vector256.ShiftRightArithmetic(ni, 1);
        var scaled = y.Value * ((half + Vector256.Create(127)) << 23).AsSingle();
        return new(scaled * ((ni - half + Vector256.Create(127)) << 23).AsSingle());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float256 CopySign(Float256 magnitude, Float256 sign) =>
        new(Vector256.Abs(magnitude.Value) | (sign.Value & Vector256.Create(-0f)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float256 LessThan(Float256 a, Float256 b) => new(Vector256.LessThan(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float256 GreaterThan(Float256 a, Float256 b) => new(Vector256.GreaterThan(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float256 IsNumber(Float256 a) => new(Vector256.Equals(a.Value, a.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float256 Select(Float256 mask, Float256 whenTrue, Float256 whenFalse) => new(Vector256.ConditionalSelect(mask.Value, whenTrue.Value, whenFalse.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Float256 a) => Vector256.Sum(a.Value);

    /// <summary>Halves the register until one lane is left (lane by lane extraction costs more than the row it ends).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Float256 a)
    {
        var m = Vector128.Max(a.Value.GetLower(), a.Value.GetUpper());
        m = Vector128.Max(m, Vector128.Shuffle(m, Vector128.Create(2, 3, 0, 1)));
        m = Vector128.Max(m, Vector128.Shuffle(m, Vector128.Create(1, 0, 3, 2)));
        return m.ToScalar();
    }
}
