namespace Sapling.Data.Text;

/// <summary>A JSONL line that was left out, and why.</summary>
public sealed record SkippedRow(int Line, string Reason);
