using Sapling.Quantization.Ggml;

namespace Sapling.IO.Gguf;

/// <summary>
/// One tensor of a GGUF file. <see cref="Shape"/> is Sapling's (and PyTorch's) order, outermost first — the reverse
/// of the file's ggml order, which lists the innermost (contiguous) dimension first. <see cref="Offset"/> is relative
/// to the start of the data section.
/// </summary>
public sealed record GgufTensorInfo(string Name, int[] Shape, GgmlType Type, long Offset, long ByteCount)
{
    /// <summary>Elements in the tensor.</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (int d in Shape) n *= d;
            return n;
        }
    }
}
