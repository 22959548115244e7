namespace Sapling.Training.Evaluation;

/// <summary>Precision, recall and F1 averaged over classes in one way (see <see cref="Average"/>).</summary>
public readonly record struct Scores(double Precision, double Recall, double F1);
