namespace Sapling.Serving.Generation;

/// <summary>New text (already clear of stop strings and unfinished UTF-8 characters).</summary>
public sealed record TextDelta(string Text) : GenerationEvent;
