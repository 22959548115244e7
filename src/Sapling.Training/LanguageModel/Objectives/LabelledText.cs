namespace Sapling.Training.LanguageModel.Objectives;

/// <summary>A labelled text.</summary>
public sealed record LabelledText(string Text, string Label);
