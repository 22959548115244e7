using Sapling.Autograd;
using Sapling.Distributed;
using Sapling.Optim;

namespace Sapling.Training;

/// <summary>
/// One optimisation step as every recipe takes it — the only place a training loss is backpropagated: each
/// micro-batch's loss (already scaled by its share of the step) goes backward, then the step ends with gradients summed
/// over data-parallel ranks, adjusted where a recipe asks (FedProx's pull towards the global weights), clipped or
/// measured, guarded (a non-finite gradient never reaches the weights), applied, cleared and scheduled.
/// </summary>
public sealed class TrainingStep(Optimizer optimizer, IReadOnlyList<Tensor> parameters)
{
    /// <summary>Clip the gradients' global norm to this; null measures it without clipping.</summary>
    public float? GradClip { get; init; }

    /// <summary>Stepped after every optimiser step.</summary>
    public LrScheduler? Schedule { get; init; }

    /// <summary>
    /// Sums gradients over the ranks of a data-parallel run; null trains alone (gradients are used as they are).
    /// </summary>
    public DataParallel? DataParallel { get; init; }

    /// <summary>Called with the gradients complete (all-reduced), under no-grad, before clipping.</summary>
    public Action? AdjustGradients { get; init; }

    /// <summary>
    /// Whether the gradient norm is computed to guard the step (true for training; a speed benchmark that neither clips
    /// nor guards turns it off and <see cref="Finish"/> returns 0).
    /// </summary>
    public bool GuardFinite { get; init; } = true;

    /// <summary>The optimiser steps this object has applied.</summary>
    public long StepsTaken { get; private set; }

    /// <summary>The trainable parameters whose gradients this step clips (or measures) and guards.</summary>
    public IReadOnlyList<Tensor> Parameters => parameters;

    /// <summary>Backpropagates one micro-batch's loss, already scaled by its share of the step.</summary>
    public static void Backward(Tensor loss) => loss.Backward();

    /// <summary>
    /// Ends the step. Returns the gradients' global norm before clipping; when it is not finite, or
    /// <paramref name="lossIsFinite"/> is false (the loss itself diverged, so the norm is not computed and NaN is
    /// returned), the gradients are cleared and the weights, optimiser state and schedule stay as they were.
    /// </summary>
    public float Finish(bool lossIsFinite = true)
    {
        DataParallel?.FinishGradientSync();
        if (AdjustGradients != null)
            using (NoGrad.Enter()) AdjustGradients();
        float norm = !lossIsFinite ? float.NaN
            : GradClip is float clip ? GradientClipping.ClipGradNorm(parameters, clip)
            : GuardFinite ? GradientClipping.GradNorm(parameters) : 0f;
        if (!float.IsFinite(norm))
        {
            optimizer.ZeroGrad();
            return norm;
        }
        optimizer.Step();
        optimizer.ZeroGrad();
        Schedule?.Step();
        StepsTaken++;
        return norm;
    }
}
