namespace Sapling.Training;

/// <summary>
/// A finished optimiser step, the same figures on every data-parallel rank: its number since the run began, its loss
/// (the share-weighted mean over its micro-batches and ranks), the examples or tokens it used, and the gradients' global
/// norm before clipping.
/// </summary>
public readonly record struct StepResult(long Step, float Loss, long Count, float GradNorm);
