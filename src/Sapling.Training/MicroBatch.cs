namespace Sapling.Training;

/// <summary>
/// One micro-batch of an optimiser step, as a recipe hands it to the <see cref="Trainer"/>: the loss to backpropagate,
/// already scaled by this micro-batch's share of the step (gradient accumulation, this rank's part of the global
/// batch), or null where this rank's shard is empty; the plain loss and that share, from which the trainer forms the
/// step's loss (summed over ranks); and whether the optimiser steps after it.
/// </summary>
/// <param name="Count">Examples or tokens the micro-batch held (summed over ranks for throughput).</param>
public readonly record struct MicroBatch(Tensor? Loss, float LossValue, double Share, long Count, bool EndsStep);
