namespace Sapling.Backends;

/// <summary>
/// Where attention heads lie in a buffer read in place: element c of position i of head h in batch row b is at
/// Offset + b·BatchStride + h·HeadStride + i·RowStride + c. A projection's output [B, T, heads·d] viewed as
/// [B, heads, T, d] has BatchStride T·heads·d, HeadStride d and RowStride heads·d; no copy puts heads side by side.
/// </summary>
public readonly record struct HeadLayout(int Offset, int BatchStride, int HeadStride, int RowStride)
{
    /// <summary>Element c of position i of head h in batch row b.</summary>
    public int At(int b, int h, int i) => Offset + b * BatchStride + h * HeadStride + i * RowStride;
}
