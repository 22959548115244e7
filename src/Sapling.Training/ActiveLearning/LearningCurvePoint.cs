namespace Sapling.Training.ActiveLearning;

/// <summary>One measurement of a learning curve: test accuracy after a round's retraining on this many labels.</summary>
public sealed record LearningCurvePoint(string Strategy, ulong Seed, int Round, int Labels, double TestAccuracy);
