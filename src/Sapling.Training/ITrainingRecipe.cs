using Sapling.NN;
using Sapling.Training.Runs;

namespace Sapling.Training;

/// <summary>
/// What differs between training recipes, and nothing else: the network the checkpoints hold, the periods (epochs, or
/// steps between evaluations), each period's micro-batches with their losses (the objective and its data source),
/// what a finished step and a finished period report, and how the best model is saved. The <see cref="Trainer"/> owns
/// the loop around it: backward, data-parallel gradients, accumulation boundaries, clipping, the non-finite guard,
/// schedules, validation cadence, best model, checkpoints and resume, early stopping, metrics.jsonl.
/// </summary>
public interface ITrainingRecipe
{
    /// <summary>The network that trains; checkpoints hold its weights.</summary>
    Module Network { get; }

    /// <summary>
    /// Whether a period is an epoch or a run of optimiser steps; messages and state are counted in it.
    /// </summary>
    TrainingUnit Unit { get; }

    /// <summary>The periods of the whole run (epochs, or evaluations).</summary>
    int Periods { get; }

    /// <summary>The periods a resumed state has already finished.</summary>
    int CompletedPeriods(TrainingState state);

    /// <summary>
    /// The micro-batches of period <paramref name="period"/> (1-based), in order. A recipe computes each loss inside its
    /// own tensor scope and yields it; the trainer backpropagates it before asking for the next one, and stops asking
    /// when a step diverges.
    /// </summary>
    IEnumerable<MicroBatch> Batches(int period);

    /// <summary>After each optimiser step: progress, and the line for metrics.jsonl (null for none).</summary>
    IReadOnlyDictionary<string, object?>? StepFinished(StepResult step);

    /// <summary>
    /// After each period, also one that a diverged step cut short (<paramref name="interrupted"/>): validation and what
    /// the recipe logs; null when the recipe reports nothing then. <paramref name="state"/> is the run's state before
    /// this period is added.
    /// </summary>
    PeriodEvaluation? EndPeriod(int period, bool interrupted, TrainingState state);

    /// <summary>Writes the model as it is now (the best so far) to <paramref name="directory"/>.</summary>
    void SaveBest(string directory);
}
