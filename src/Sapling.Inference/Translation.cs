
namespace Sapling.Inference;

/// <summary>A translation, the tokens its source took and the tokens generated for it (eos included).</summary>
public sealed record Translation(string Text, int SourceTokens, int GeneratedTokens);
