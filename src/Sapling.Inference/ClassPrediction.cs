namespace Sapling.Inference;

/// <summary>One ranked class for one input.</summary>
public sealed record ClassPrediction(int ClassId, string Label, float Probability);
