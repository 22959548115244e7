using System.Diagnostics;
using System.Text.Json;
using Sapling.Autograd;
using Sapling.Data;
using Sapling.Distributed;
using Sapling.Evaluation;
using Sapling.Models.Classifiers;
using Sapling.NN;
using Sapling.Optim;
using Sapling.Training.Plots;

namespace Sapling.Training;

/// <summary>The outcome of a classification run: where things are and the held-out numbers.</summary>
/// <remarks><see cref="StoppedByCaller"/>: <see cref="ClassificationTrainer.ContinueAfterEpoch"/> ended the run (a sweep pruned it).</remarks>
public sealed record ClassificationResult(string RunDirectory, string ModelDirectory, ClassificationReport Test, ClassificationReport Validation, int BestEpoch, IReadOnlyList<EpochRecord> History, bool StoppedEarly, bool Diverged, bool StoppedByCaller = false);
