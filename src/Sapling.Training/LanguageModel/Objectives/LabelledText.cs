namespace Sapling.Training;

/// <summary>A labelled text.</summary>
public sealed record LabelledText(string Text, string Label);
