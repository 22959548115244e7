using Sapling.Data;
using Sapling.NN;
using Sapling.Optim;
using Sapling.Training;
using Sapling.Training.Classification;

namespace Sapling.Federated;

/// <summary>
/// A client's work in one round: a few epochs over its own examples, starting from the global weights, through the
/// classification recipe on the one trainer (<see cref="ClassificationRecipe"/>, <see cref="Trainer"/>), so every train.* and augment.* option
/// a centralised run honours applies here too. With FedProx the gradient also pulls each weight back towards the
/// round's global weights (the gradient of μ/2·‖w − w_global‖²), which limits how far clients with very different data
/// drift apart.
/// </summary>
public static class LocalTraining
{
    /// <param name="round">This round (1-based) of <paramref name="rounds"/>: the learning-rate schedule runs over the
    /// whole federated training (rounds × local epochs, as a centralised run of that many epochs), and each round's
    /// fresh optimiser starts where the schedule stands.</param>
    public static LocalResult Train(Module<Tensor, Tensor> model, TensorDataset data, TrainingOptions options, int epochs, ulong seed,
        IReadOnlyDictionary<string, Tensor>? proximalCenter = null, double mu = 0, int round = 1, int rounds = 1)
    {
        if (options.Schedule == LrScheduleType.Plateau)
            throw new ArgumentException($"{OptionNames.Of(nameof(TrainingOptions.Schedule))} plateau follows the validation loss of every epoch, which federated local training does not compute; use none, cosine or step");
        if (round < 1 || round > rounds) throw new ArgumentOutOfRangeException(nameof(round), $"round {round} is not one of 1..{rounds}");
        if (data.Count == 0) return new LocalResult(0, double.NaN, double.NaN);
        var trainable = model.Parameters().Where(p => p.RequiresGrad).ToList();
        // A fresh optimizer per round, as in FedAvg: clients keep no state between rounds but their data.
        var optimizer = options.NewOptimizer([new ParamGroup(trainable)]);
        var loader = new DataLoader(data, options.BatchSize, shuffle: true, seed: seed, prefetch: 0,
            transform: options.Augment.IsIdentity || data.ExampleShape.Length != 3 ? null : options.Augment.Apply);
        int stepsPerEpoch = options.StepsPerEpoch(loader.BatchesPerEpoch);
        var schedule = options.NewScheduler(optimizer, stepsPerEpoch, rounds * epochs);
        int epochsBefore = (round - 1) * epochs;
        int skipped = options.Schedule == LrScheduleType.Cosine ? epochsBefore * stepsPerEpoch : options.Schedule == LrScheduleType.Step ? epochsBefore : 0;
        for (int i = 0; i < skipped; i++) schedule!.Step();
        var recipe = new ClassificationRecipe(model, optimizer, loader, options, epochs)
        {
            Seed = seed, FirstEpoch = 0, Schedule = schedule,
        };
        var outcome = new Trainer(recipe, optimizer)
        {
            GradClip = options.GradClip, StepSchedule = recipe.StepSchedule,
            AdjustGradients = proximalCenter != null && mu > 0 ? named =>
            {
                foreach (var (name, p) in named)
                    if (p.Grad is { } grad) grad.AddInPlace(p.Sub(proximalCenter[name]), (float)mu);
            } : null,
        }.Fit();
        // The weights stay those of the last finite step; the coordinator refuses a non-finite update anyway.
        if (outcome.Diverged) return new LocalResult(data.Count, double.NaN, double.NaN) { Diverged = true };
        double lossSum = 0, correct = 0;
        foreach (var record in outcome.State.History)
        {
            lossSum += record.TrainLoss;
            correct += record.TrainAccuracy;
        }
        return new LocalResult(data.Count, lossSum / epochs, correct / epochs);
    }
}
