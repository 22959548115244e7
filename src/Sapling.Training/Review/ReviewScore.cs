namespace Sapling.Training.Review;

/// <summary>How the reviewer's verdicts compare with the automatic metric, for one stratum or for all items.</summary>
public sealed record ReviewScore(string Stratum, int Items, int Rated, int Correct, int Wrong, int Unsure, double? ReviewerAccuracy, double? AutomaticAccuracy, double? Agreement, double? Kappa, double? MeanAutoScoreCorrect, double? MeanAutoScoreWrong);
