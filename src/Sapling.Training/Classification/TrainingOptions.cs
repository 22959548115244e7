using Sapling.Optim;
using Sapling.Data.Vision;
using Sapling.Training.Guards;

namespace Sapling.Training.Classification;

/// <summary>How to train: epochs, batch, optimiser, schedule, regularisation, stopping, reproducibility.</summary>
public sealed record TrainingOptions
{
    /// <summary>Config key <c>train.epochs</c>: passes over the training split (default 20).</summary>
    public int Epochs { get; init; } = 20;
    /// <summary>Config key <c>train.batch_size</c>: examples per batch, over all ranks together (default 64).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Config key <c>train.optimizer</c>: sgd, adam or adamw (default adamw).</summary>
    public OptimizerType Optimizer { get; init; } = OptimizerType.AdamW;
    /// <summary>Config key <c>train.lr</c>: the learning rate, before any schedule (default 1e-3).</summary>
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>
    /// Config key <c>train.momentum</c>: SGD's momentum factor; other optimisers ignore it (default 0.9).
    /// </summary>
    public double Momentum { get; init; } = 0.9;
    /// <summary>Config key <c>train.nesterov</c>: Nesterov momentum for SGD (default false).</summary>
    public bool Nesterov { get; init; }
    /// <summary>
    /// Config key <c>train.weight_decay</c>: weight decay (L2 for SGD and Adam, decoupled for AdamW; default 0).
    /// </summary>
    public double WeightDecay { get; init; }

    /// <summary>Strength of an L1 penalty on all weights, added to the loss.</summary>
    public float L1 { get; init; }
    /// <summary>
    /// Config key <c>train.label_smoothing</c>: share of each target's probability spread over all classes in the
    /// cross-entropy (default 0).
    /// </summary>
    public float LabelSmoothing { get; init; }

    /// <summary>None, cosine (per step, with warm-up), step (per epoch) or plateau (on the validation loss).</summary>
    public LrScheduleType Schedule { get; init; } = LrScheduleType.None;
    /// <summary>
    /// Config key <c>train.warmup_steps</c>: optimiser steps of linear warm-up in the cosine schedule (default 0).
    /// </summary>
    public int WarmupSteps { get; init; }
    /// <summary>
    /// Config key <c>train.min_lr_ratio</c>: where the cosine schedule ends, as a fraction of the learning rate
    /// (default 0).
    /// </summary>
    public double MinLearningRateRatio { get; init; }
    /// <summary>Config key <c>train.step_size</c>: epochs between the step schedule's cuts (default 10).</summary>
    public int StepSize { get; init; } = 10;
    /// <summary>
    /// Config key <c>train.gamma</c>: learning-rate multiplier of the step and plateau schedules (default 0.1).
    /// </summary>
    public double Gamma { get; init; } = 0.1;
    /// <summary>
    /// Config key <c>train.plateau_patience</c>: epochs without a lower validation loss before the plateau schedule
    /// cuts the learning rate (default 3).
    /// </summary>
    public int PlateauPatience { get; init; } = 3;

    /// <summary>
    /// Config key <c>train.grad_clip</c>: the gradients' global norm is clipped to this before each step; null (the
    /// default) only measures it.
    /// </summary>
    public float? GradClip { get; init; }

    /// <summary>Batches whose gradients are summed before each optimiser step.</summary>
    public int AccumulationSteps { get; init; } = 1;

    /// <summary>"val_loss" or "val_accuracy": the metric for best-model selection and early stopping.</summary>
    public string Monitor { get; init; } = "val_loss";

    /// <summary>Stop after this many epochs without improvement of <see cref="Monitor"/>; null trains all epochs.</summary>
    public int? Patience { get; init; }

    /// <summary>
    /// Config key <c>train.seed</c>: seeds initialisation, shuffling, dropout and augmentation (default 0).
    /// </summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// Config section <c>augment</c> (rotation, scale, translate, horizontal_flip, crop_padding, noise): random
    /// transformations of training images; none by default.
    /// </summary>
    public ImageAugment Augment { get; init; } = new();

    /// <summary>A model folder to start from (transfer learning); its head is replaced when the class count differs.</summary>
    public string? InitFrom { get; init; }

    /// <summary>Train only the head (and nothing of the backbone, pretrained or, without init_from, random).</summary>
    public bool FreezeBackbone { get; init; }

    /// <summary>Learning-rate multiplier for the pretrained backbone (e.g. 0.1); 1 trains it like the head.</summary>
    public double BackboneLearningRateScale { get; init; } = 1;

    /// <summary>
    /// Epochs at the start during which only the new head trains; after them the backbone joins at
    /// <see cref="BackboneLearningRateScale"/> × the learning rate (a frozen phase, then full fine-tuning).
    /// </summary>
    public int FreezeBackboneEpochs { get; init; }

    /// <summary>Optimiser steps in an epoch of <paramref name="batches"/> batches (the last group may hold fewer than <see cref="AccumulationSteps"/>).</summary>
    public int StepsPerEpoch(int batches) => (batches + AccumulationSteps - 1) / AccumulationSteps;

    /// <summary>The optimiser <see cref="Optimizer"/> names, over <paramref name="groups"/>, at this learning rate, momentum and weight decay.</summary>
    public Optim.Optimizer NewOptimizer(IEnumerable<ParamGroup> groups) => Optimizer switch
    {
        OptimizerType.Sgd => new Sgd(groups, LearningRate, Momentum, weightDecay: WeightDecay, nesterov: Nesterov),
        OptimizerType.Adam => new Adam(groups, LearningRate, weightDecay: WeightDecay),
        _ => new AdamW(groups, LearningRate, weightDecay: WeightDecay),
    };

    /// <summary>
    /// The schedule <see cref="Schedule"/> names for a run of <paramref name="epochs"/> epochs of
    /// <paramref name="stepsPerEpoch"/> optimiser steps: cosine is stepped per step, step per epoch; plateau is the
    /// caller's (it needs the validation loss), so it and none give null.
    /// </summary>
    public LrScheduler? NewScheduler(Optim.Optimizer optimizer, int stepsPerEpoch, int epochs) => Schedule switch
    {
        LrScheduleType.Cosine => new CosineWithWarmup(optimizer, WarmupSteps, Math.Max(WarmupSteps, stepsPerEpoch * epochs), MinLearningRateRatio),
        LrScheduleType.Step => new StepLR(optimizer, StepSize, Gamma),
        _ => null,
    };

    /// <summary>
    /// Refuses options no run can use. Messages name each option through <see cref="OptionNames"/>: the property's own
    /// name ("LearningRate"), or the config key when the caller installed its names ("train.lr").
    /// </summary>
    public void Validate()
    {
        static string N(string option) => OptionNames.Of(option);
        FiniteOptions.Check(this);
        if (Epochs <= 0) throw new ArgumentException($"{N(nameof(Epochs))} must be positive, got {Epochs}");
        if (BatchSize <= 0) throw new ArgumentException($"{N(nameof(BatchSize))} must be positive, got {BatchSize}");
        if (!Enum.IsDefined(Optimizer)) throw new ArgumentException($"{N(nameof(Optimizer))}: {(int)Optimizer} is not an optimiser");
        if (!Enum.IsDefined(Schedule)) throw new ArgumentException($"{N(nameof(Schedule))}: {(int)Schedule} is not a schedule");
        if (Monitor is not ("val_loss" or "val_accuracy")) throw new ArgumentException($"{N(nameof(Monitor))} must be val_loss or val_accuracy, got '{Monitor}'");
        if (AccumulationSteps <= 0) throw new ArgumentException($"{N(nameof(AccumulationSteps))} must be positive, got {AccumulationSteps}");
        if (LearningRate <= 0) throw new ArgumentException($"{N(nameof(LearningRate))} must be positive, got {LearningRate}");
        if (FreezeBackboneEpochs < 0) throw new ArgumentException($"{N(nameof(FreezeBackboneEpochs))} must be 0 or more, got {FreezeBackboneEpochs}");
        if (FreezeBackboneEpochs > 0 && InitFrom == null) throw new ArgumentException($"{N(nameof(FreezeBackboneEpochs))} needs {N(nameof(InitFrom))} (a pretrained backbone to freeze)");
        if (FreezeBackboneEpochs > 0 && FreezeBackbone) throw new ArgumentException($"{N(nameof(FreezeBackboneEpochs))} and {N(nameof(FreezeBackbone))}: true contradict each other (the second freezes the backbone for the whole run)");
        if (!(BackboneLearningRateScale >= 0)) throw new ArgumentException($"{N(nameof(BackboneLearningRateScale))} must be 0 or more, got {BackboneLearningRateScale}");
    }
}
