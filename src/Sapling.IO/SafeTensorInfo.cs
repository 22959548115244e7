namespace Sapling.IO;

/// <summary>
/// One tensor's entry in a safetensors header. <see cref="DType"/> is the file's own name (F32, BF16, F16, I64, ...),
/// since a file may hold dtypes Sapling has no equivalent for. Shape dimensions are 64-bit because the format allows
/// them; <see cref="Begin"/> and <see cref="End"/> are byte offsets from the start of the data section.
/// </summary>
public sealed record SafeTensorInfo(string Name, string DType, IReadOnlyList<long> Shape, long Begin, long End)
{
    /// <summary>The tensor's size in the data section, in bytes.</summary>
    public long ByteLength => End - Begin;

    /// <summary>Number of elements: the product of the shape (1 for a scalar, 0 when any dimension is 0).</summary>
    public long NumEl
    {
        get
        {
            long n = 1;
            foreach (long d in Shape) n *= d;
            return n;
        }
    }
}
