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
            DType.Float32 => TensorPrimitives.IsFiniteAll<float>(x.ArrayOf<float>().AsSpan(x.offset, x.NumEl)),
            DType.Float64 => TensorPrimitives.IsFiniteAll<double>(x.ArrayOf<double>().AsSpan(x.offset, x.NumEl)),
            DType.BFloat16 => BFloat16Finite(x.ArrayOf<ushort>().AsSpan(x.offset, x.NumEl)),
            _ => true,
        };
    }

    /// <summary>A bf16 value is NaN or infinite when its eight exponent bits are all set.</summary>
    private static bool BFloat16Finite(ReadOnlySpan<ushort> bits)
    {
        foreach (var b in bits)
            if ((b & 0x7F80) == 0x7F80) return false;
        return true;
    }
}
