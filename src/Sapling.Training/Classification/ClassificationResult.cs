using Sapling.Training.Evaluation;
using Sapling.Training.Progress;

namespace Sapling.Training.Classification;

/// <summary>The outcome of a classification run: where things are and the held-out numbers.</summary>
/// <remarks><see cref="StoppedByCaller"/>: <see cref="ClassificationTrainer.ContinueAfterEpoch"/> ended the run (a sweep pruned it).</remarks>
public sealed record ClassificationResult(string RunDirectory, string ModelDirectory, ClassificationReport Test, ClassificationReport Validation, int BestEpoch, IReadOnlyList<EpochRecord> History, bool StoppedEarly, bool Diverged, bool StoppedByCaller = false);
