namespace Sapling.Training.Evaluation;

/// <summary>Precision, recall and F-measure of a ROUGE variant, each in [0, 1].</summary>
public sealed record RougeScore(double Precision, double Recall, double F);
