using System.Numerics.Tensors;

namespace Sapling;

public sealed partial class Tensor
{
    /// <summary>
    /// Whether every element is finite (PyTorch's <c>torch.isfinite(x).all()</c>): false as soon as one NaN or
    /// infinity is found. Integer and boolean tensors are always finite.
    /// </summary>
    public bool AllFinite()
    {
        ThrowIfDisposed();
        if (NumEl == 0) return true;
        using var copy = IsContiguous ? null : Contiguous();
        var x = copy ?? this;
        return DType switch
        {
            DType.Float32 => TensorPrimitives.IsFiniteAll<float>(x.AsReadOnlySpan<float>()),
            DType.Float64 => TensorPrimitives.IsFiniteAll<double>(x.AsReadOnlySpan<double>()),
            DType.BFloat16 => ExponentNotAllOnes(x.AsReadOnlySpan<ushort>(), 0x7F80),
            DType.Float16 => ExponentNotAllOnes(System.Runtime.InteropServices.MemoryMarshal.Cast<Half, ushort>(x.AsReadOnlySpan<Half>()), 0x7C00),
            _ => true,
        };
    }

    /// <summary>A bf16 or f16 value is NaN or infinite when its exponent bits (<paramref name="exponent"/>) are all set.</summary>
    private static bool ExponentNotAllOnes(ReadOnlySpan<ushort> bits, ushort exponent)
    {
        var mask = System.Numerics.Vector<ushort>.One * exponent;
        int i = 0;
        for (; i + System.Numerics.Vector<ushort>.Count <= bits.Length; i += System.Numerics.Vector<ushort>.Count)
            if (System.Numerics.Vector.EqualsAny(new System.Numerics.Vector<ushort>(bits[i..]) & mask, mask)) return false;
        for (; i < bits.Length; i++)
            if ((bits[i] & exponent) == exponent) return false;
        return true;
    }
}
