using System.Numerics;

namespace Sapling.IO;

/// <summary>
/// Turns a stored tensor's bytes into a Sapling tensor's elements. Same-type dtypes are a plain copy; the others widen
/// or convert element by element. Sources are typed spans straight over the mapped bytes: x64 and Arm64 allow
/// unaligned loads, so files from writers that do not align their data still read correctly.
/// </summary>
internal static unsafe class SafeTensorsDecode
{
    /// <param name="source">first byte of the tensor's data; <paramref name="destination"/> is contiguous and of
    /// <see cref="SafeTensorsDType.LoadsAs"/>(<paramref name="dtype"/>).</param>
    public static void Into(byte* source, string dtype, Tensor destination)
    {
        int n = destination.NumEl;
        // Nothing to copy; and Tensor.AsSpan refuses some empty shapes such as [2, 0, 3] as non-contiguous.
        if (n == 0) return;
        switch (dtype)
        {
            case "F32": new ReadOnlySpan<float>(source, n).CopyTo(destination.AsSpan<float>()); break;
            case "F64": new ReadOnlySpan<double>(source, n).CopyTo(destination.AsSpan<double>()); break;
            case "BF16": new ReadOnlySpan<ushort>(source, n).CopyTo(destination.AsSpan<ushort>()); break;
            case "I8": new ReadOnlySpan<sbyte>(source, n).CopyTo(destination.AsSpan<sbyte>()); break;
            case "I32": new ReadOnlySpan<int>(source, n).CopyTo(destination.AsSpan<int>()); break;
            case "I64": new ReadOnlySpan<long>(source, n).CopyTo(destination.AsSpan<long>()); break;
            case "BOOL": Bools(new ReadOnlySpan<byte>(source, n), destination.AsSpan<bool>()); break;
            case "F16": new ReadOnlySpan<Half>(source, n).CopyTo(destination.AsSpan<Half>()); break;
            case "U8": Widen(new ReadOnlySpan<byte>(source, n), destination.AsSpan<int>()); break;
            case "I16": Widen(new ReadOnlySpan<short>(source, n), destination.AsSpan<int>()); break;
            case "U16": Widen(new ReadOnlySpan<ushort>(source, n), destination.AsSpan<int>()); break;
            case "U32": Widen(new ReadOnlySpan<uint>(source, n), destination.AsSpan<long>()); break;
            default: throw new NotSupportedException($"no decoder for safetensors dtype {dtype}");
        }
    }

    /// <summary>A bool must be 0 or 1 in memory or comparisons misbehave, so any other byte is read as true rather than copied.</summary>
    private static void Bools(ReadOnlySpan<byte> source, Span<bool> destination)
    {
        for (int i = 0; i < source.Length; i++) destination[i] = source[i] != 0;
    }

    private static void Widen<TFrom, TTo>(ReadOnlySpan<TFrom> source, Span<TTo> destination)
        where TFrom : unmanaged, IBinaryInteger<TFrom>
        where TTo : unmanaged, IBinaryInteger<TTo>
    {
        for (int i = 0; i < source.Length; i++) destination[i] = TTo.CreateTruncating(source[i]);
    }
}
