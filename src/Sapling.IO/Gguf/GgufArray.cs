namespace Sapling.IO.Gguf;

/// <summary>
/// A metadata array as read: the element type and the values in a typed .NET array (long[] for every integer type,
/// double[] for floats, bool[], string[]). Arrays of arrays are refused when the file is opened.
/// </summary>
public sealed record GgufArray(GgufValueType ElementType, Array Values)
{
    /// <summary>The number of elements.</summary>
    public int Count => Values.Length;
}
