namespace Sapling.Data.Text;

/// <summary>One source sentence and its translation (or any input and the text to write for it).</summary>
public sealed record ParallelPair(string Source, string Target);
