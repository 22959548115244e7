namespace Sapling.Serving.Generation;

/// <summary>What a generation request hears back: pieces of text, then one end.</summary>
public abstract record GenerationEvent;
