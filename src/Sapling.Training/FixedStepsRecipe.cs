using Sapling.NN;
using Sapling.Training.Runs;

namespace Sapling.Training;

/// <summary>
/// A fixed number of optimiser steps with no validation, no checkpoints and no model of its own to save: a short
/// fine-tune (after pruning, say) whose loss for each step comes from <paramref name="loss"/> (given the 0-based step
/// and computed inside the step's tensor scope).
/// </summary>
public sealed class FixedStepsRecipe(Module network, int steps, Func<int, Tensor> loss) : ITrainingRecipe
{
    /// <summary>Called after every optimiser step (re-applying pruning masks, say).</summary>
    public Action? AfterStep { get; init; }

    /// <inheritdoc/>
    public Module Network => network;

    /// <inheritdoc/>
    public TrainingUnit Unit => TrainingUnit.Step;

    /// <inheritdoc/>
    public int Periods => 1;

    /// <inheritdoc/>
    public int CompletedPeriods(TrainingState state) => 0;

    /// <inheritdoc/>
    public IEnumerable<MicroBatch> Batches(int period)
    {
        for (int step = 0; step < steps; step++)
        {
            using var scope = new TensorScope();
            var value = loss(step);
            yield return new MicroBatch(value, value.Item(), 1, 1, EndsStep: true);
        }
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, object?>? StepFinished(StepResult step)
    {
        AfterStep?.Invoke();
        return null;
    }

    /// <inheritdoc/>
    public PeriodEvaluation? EndPeriod(int period, bool interrupted, TrainingState state) => null;

    /// <summary>
    /// Always throws: this recipe keeps no best model (the trainer asks only when a run folder is given).
    /// </summary>
    public void SaveBest(string directory) => throw new InvalidOperationException("a fixed-steps fine-tune keeps no best model");
}
