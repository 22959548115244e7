using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sapling.Backends.Cpu.Simd;

/// <summary>Eight (Float256) or sixteen (Float512) float lanes; see <see cref="IFloatVector{TSelf}"/>.</summary>
internal readonly struct Float512 : IFloatVector<Float512>
{
    public readonly Vector512<float> Value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Float512(Vector512<float> value) => Value = value;

    public static int Count => Vector512<float>.Count;
    public static Float512 Zero => new(Vector512<float>.Zero);
    public static Float512 One => new(Vector512<float>.One);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float512 Create(float value) => new(Vector512.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float512 Load(ReadOnlySpan<float> source) => new(Vector512.Create(source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Float512 value, Span<float> destination) => value.Value.CopyTo(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float512 operator +(Float512 a, Float512 b) => new(a.Value + b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float512 operator -(Float512 a, Float512 b) => new(a.Value - b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float512 operator *(Float512 a, Float512 b) => new(a.Value * b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float512 operator /(Float512 a, Float512 b) => new(a.Value / b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float512 operator -(Float512 a) => new(-a.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float512 FusedMultiplyAdd(Float512 a, Float512 b, Float512 c) => new(Vector512.FusedMultiplyAdd(a.Value, b.Value, c.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float512 Min(Float512 a, Float512 b) => new(Vector512.Min(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float512 Max(Float512 a, Float512 b) => new(Vector512.Max(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float512 Abs(Float512 a) => new(Vector512.Abs(a.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float512 Round(Float512 a) => new(Vector512.Round(a.Value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 ScaleByPowerOfTwo(Float512 y, Float512 n)
    {
        var ni = Vector512.ConvertToInt32(n.Value);
        var half = Vector512.ShiftRightArithmetic(ni, 1);
        var scaled = y.Value * ((half + Vector512.Create(127)) << 23).AsSingle();
        return new(scaled * ((ni - half + Vector512.Create(127)) << 23).AsSingle());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float512 CopySign(Float512 magnitude, Float512 sign) =>
        new(Vector512.Abs(magnitude.Value) | (sign.Value & Vector512.Create(-0f)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float512 LessThan(Float512 a, Float512 b) => new(Vector512.LessThan(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float512 GreaterThan(Float512 a, Float512 b) => new(Vector512.GreaterThan(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float512 IsNumber(Float512 a) => new(Vector512.Equals(a.Value, a.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Float512 Select(Float512 mask, Float512 whenTrue, Float512 whenFalse) => new(Vector512.ConditionalSelect(mask.Value, whenTrue.Value, whenFalse.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Float512 a) => Vector512.Sum(a.Value);

    /// <summary>Halves the register until one lane is left (lane by lane extraction costs more than the row it ends).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Float512 a) => Float256.MaxAcross(new Float256(Vector256.Max(a.Value.GetLower(), a.Value.GetUpper())));
}
