namespace Sapling.Training.ActiveLearning;

/// <summary>One item proposed for labelling: its pool row, its score, the model's guess and its raw features.</summary>
public sealed record Suggestion(long Id, double Score, string Guess, float[] Features);
