namespace Sapling.Training.Guards;

/// <summary>
/// Training met a non-finite loss or gradient before any finite model was kept, so the run has no model to give
/// (its folder holds the metrics and log up to that point, and no model/ folder).
/// </summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
