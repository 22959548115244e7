namespace Sapling.Data.Text;

/// <summary>A sentence for sequence labelling: its words and one tag per word (e.g. B-PER, I-PER, O).</summary>
public sealed record TaggedWords(string[] Words, string[] Tags);
