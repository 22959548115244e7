using Sapling.Inference;
using Sapling.Models.Classifiers;
using Sapling.Training.Classification;
using Sapling.Training.Progress;

namespace Sapling.Training.ActiveLearning;

/// <summary>
/// Active learning with a simulated oracle: the training split is the unlabelled pool whose true labels are revealed only
/// for the items a strategy picks. Each seed draws one random starting set, shared by all strategies; each round
/// retrains from scratch with the ordinary trainer (a run folder per round), scores the rest of the pool with the new
/// model and adds the batch the strategy ranks first. Accuracy is measured on the held-out test split, which no
/// strategy sees; the validation split picks each round's best epoch for every strategy alike.
/// </summary>
public sealed class ActiveLearningSimulation(ClassifierConfig model, DataOptions data, TrainingOptions training, SimulationOptions options, TextWriter? log = null)
{
    private readonly TextWriter log = log ?? TextWriter.Null;

    /// <summary>
    /// Runs every strategy for every seed, with one run folder per round under <paramref name="directory"/>
    /// (<c>{strategy}-seed{seed}/round-NN</c>), and returns each round's test accuracy by labels used.
    /// </summary>
    public IReadOnlyList<LearningCurvePoint> Run(string directory)
    {
        if (options.Initial < 1 || options.Batch < 1 || options.Rounds < 0)
            throw new ArgumentException($"the label budget needs initial >= 1, batch >= 1 and rounds >= 0, got {options.Initial}, {options.Batch}, {options.Rounds}");
        var all = ClassificationData.Load(data);
        int pool = all.Train.Count, classes = all.ClassNames.Length;
        int needed = options.Initial + options.Batch * options.Rounds;
        if (needed > pool) throw new ArgumentException($"the label budget ({needed} labels) exceeds the unlabelled pool ({pool} training examples)");
        var points = new List<LearningCurvePoint>();
        foreach (var seed in options.Seeds)
        {
            var initial = Shuffled(pool, seed).Take(options.Initial).ToList();
            foreach (var strategy in options.Strategies)
            {
                var labelled = new List<long>(initial);
                var taken = initial.ToHashSet();
                for (int round = 0; round <= options.Rounds; round++)
                {
                    // Every training starts from the same default random stream, so strategies differ only in what they picked.
                    Generator.Default.ManualSeed(Generator.DefaultSeed);
                    var runDirectory = Path.Combine(directory, $"{strategy.Name()}-seed{seed}", $"round-{round:D2}");
                    var result = new ClassificationTrainer(model, data, training with { Seed = seed }, new ConsoleProgress(TextWriter.Null))
                        .Run(all.WithTrainingSubset(labelled), runDirectory);
                    points.Add(new LearningCurvePoint(strategy.Name(), seed, round, labelled.Count, result.Test.Accuracy));
                    log.WriteLine($"{strategy.Name(),-8} seed {seed} round {round,2}: {labelled.Count,4} labels, test accuracy {result.Test.Accuracy:P2}");
                    if (round == options.Rounds) break;

                    var unlabelled = Enumerable.Range(0, pool).Select(i => (long)i).Where(i => !taken.Contains(i)).ToArray();
                    var probabilities = ClassifierPredictor.Load(result.ModelDirectory).Probabilities(all.Train.Inputs.IndexSelect(0, Tensor.FromArray(unlabelled))).ToArray();
                    // The oracle: the chosen items' labels are already in the pool, they just become visible to training.
                    foreach (int pick in UncertaintySampling.Select(probabilities, classes, options.Batch, strategy, seed * 1000 + (ulong)round))
                    {
                        labelled.Add(unlabelled[pick]);
                        taken.Add(unlabelled[pick]);
                    }
                }
            }
        }
        return points;
    }

    /// <summary>0..count-1 in a seeded random order (Fisher-Yates).</summary>
    private static long[] Shuffled(int count, ulong seed)
    {
        var order = Enumerable.Range(0, count).Select(i => (long)i).ToArray();
        var random = new Generator(seed);
        for (int i = count - 1; i > 0; i--)
        {
            int j = (int)random.NextInt64(0, i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
