using Sapling.Data;
using Sapling.Models.Classifiers;
using Sapling.Training.Classification;

namespace Sapling.Federated.Tests;

public sealed class FedAvgTests
{
    private static IReadOnlyDictionary<string, Tensor> W(params float[] values) => new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray(values, values.Length) };

    [Fact]
    public void UpdatesAreWeightedByTheirExampleCounts()
    {
        var averaged = FedAvg.Aggregate([(W(1, 2), 1), (W(3, 6), 3)]);
        Assert.Equal([2.5f, 5f], averaged["w"].ToArray());
    }

    [Fact]
    public void Float64UpdatesAreAveragedInTheFirstUpdatesDType()
    {
        var w64 = new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray([3.0, 6.0], 2) };
        var averaged = FedAvg.Aggregate([(W(1, 2), 1), (w64, 3)]);
        Assert.Equal(DType.Float32, averaged["w"].DType);
        Assert.Equal([2.5f, 5f], averaged["w"].ToArray());
        var first64 = FedAvg.Aggregate([(w64, 3), (W(1, 2), 1)]);
        Assert.Equal(DType.Float64, first64["w"].DType);
        Assert.Equal([2.5, 5.0], first64["w"].ToArray<double>());
        var ids = new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray([1L, 2L], 2) };
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => FedAvg.Aggregate([(W(1, 2), 1), (ids, 1)])).Message);
    }

    [Fact]
    public void MismatchedUpdatesAreRefusedWithTheTensorName()
    {
        Assert.Contains("shape [3]", Assert.Throws<ArgumentException>(() => FedAvg.Aggregate([(W(1, 2), 1), (W(1, 2, 3), 1)])).Message);
        var other = new Dictionary<string, Tensor> { ["v"] = Tensor.FromArray([1f, 2f], 2) };
        Assert.Contains("different tensors", Assert.Throws<ArgumentException>(() => FedAvg.Aggregate([(W(1, 2), 1), (other, 1)])).Message);
        Assert.Throws<ArgumentException>(() => FedAvg.Aggregate([]));
        Assert.Throws<ArgumentException>(() => FedAvg.Aggregate([(W(1, 2), 0)]));
    }

    [Fact]
    public void AveragingIdenticalClientsGivesWhatOneClientGives()
    {
        var (model, data) = TinyProblem();
        var start = model.StateDict().ToDictionary(p => p.Key, p => p.Value.Clone());
        var training = new TrainingOptions { BatchSize = 16, Optimizer = OptimizerType.Sgd, LearningRate = 0.1, Momentum = 0.9 };
        var results = new List<(IReadOnlyDictionary<string, Tensor>, long)>();
        for (int client = 0; client < 3; client++)
        {
            model.LoadStateDict(start);
            var r = LocalTraining.Train(model, data, training, epochs: 2, seed: 5);
            results.Add((model.StateDict().ToDictionary(p => p.Key, p => p.Value.Clone()), r.Samples));
        }
        var averaged = FedAvg.Aggregate(results);
        foreach (var (name, single) in results[0].Item1)
        {
            var a = averaged[name].ToArray();
            var s = single.ToArray();
            for (int i = 0; i < s.Length; i++) Assert.Equal(s[i], a[i], 6);
        }
        Assert.NotEqual(start.First().Value.ToArray(), results[0].Item1.First().Value.ToArray());
    }

    [Fact]
    public void FedProxKeepsLocalWeightsCloserToTheGlobalOnes()
    {
        var (model, data) = TinyProblem();
        var global = model.StateDict().ToDictionary(p => p.Key, p => p.Value.Clone());
        var training = new TrainingOptions { BatchSize = 16, Optimizer = OptimizerType.Sgd, LearningRate = 0.1 };
        double Drift(double mu)
        {
            model.LoadStateDict(global);
            LocalTraining.Train(model, data, training, epochs: 3, seed: 2, proximalCenter: global, mu: mu);
            return model.StateDict().Sum(p => p.Value.Sub(global[p.Key]).Pow(2).Sum().Item());
        }
        double free = Drift(0), held = Drift(5);
        Assert.True(held < 0.5 * free, $"drift with μ = 5 ({held}) should be well below drift without ({free})");
    }

    /// <summary>
    /// Local rounds run the classification trainer's epoch loop: every train.* option changes them as it changes a
    /// centralised run (they used to be ignored without a word), and with none of them set the weights are exactly
    /// what the former hand-written loop gave (written out here as the reference, FedProx included).
    /// </summary>
    [Fact]
    public void LocalTrainingHonoursTheTrainOptionsAndKeepsItsResultsWithoutThem()
    {
        var (model, data) = TinyProblem();
        var global = model.StateDict().ToDictionary(p => p.Key, p => p.Value.Clone());
        var plain = new TrainingOptions { BatchSize = 16, Optimizer = OptimizerType.Sgd, LearningRate = 0.1, Momentum = 0.9 };
        float[] After(TrainingOptions options, int round = 1, int rounds = 1, double mu = 0)
        {
            model.LoadStateDict(global);
            LocalTraining.Train(model, data, options, epochs: 2, seed: 5, mu > 0 ? global : null, mu, round, rounds);
            return model.Parameters().SelectMany(p => p.ToArray()).ToArray();
        }
        var reference = After(plain, mu: 0.5);
        model.LoadStateDict(global);
        var expected = FormerLoop(model, data, plain, epochs: 2, seed: 5, global, mu: 0.5);
        Assert.Equal(expected, reference);

        var baseline = After(plain);
        foreach (var (what, options, round) in new (string, TrainingOptions, int)[]
        {
            ("train.l1", plain with { L1 = 0.01f }, 1),
            ("train.schedule cosine (round 2 of 3)", plain with { Schedule = LrScheduleType.Cosine, WarmupSteps = 2 }, 2),
            ("train.schedule step (round 3 of 3)", plain with { Schedule = LrScheduleType.Step, StepSize = 1, Gamma = 0.5 }, 3),
            ("train.accumulation_steps", plain with { AccumulationSteps = 2 }, 1),
            ("train.grad_clip", plain with { GradClip = 0.01f }, 1),
        })
            Assert.False(baseline.SequenceEqual(After(options, round, rounds: 3)), $"{what} did not change the local round");
        var e = Assert.Throws<ArgumentException>(() => After(plain with { Schedule = LrScheduleType.Plateau }));
        Assert.Contains("plateau", e.Message);
    }

    /// <summary>The local loop as it was written before it ran on the trainer (<see cref="ClassificationRecipe"/>).</summary>
    private static float[] FormerLoop(Sapling.NN.Module<Tensor, Tensor> model, TensorDataset data, TrainingOptions options, int epochs, ulong seed, IReadOnlyDictionary<string, Tensor> center, double mu)
    {
        model.Train();
        var named = model.NamedParameters().Where(p => p.Parameter.RequiresGrad).ToList();
        var parameters = named.Select(p => p.Parameter).ToList();
        var optimizer = new Optim.Sgd(parameters, options.LearningRate, options.Momentum, weightDecay: options.WeightDecay, nesterov: options.Nesterov);
        var loader = new DataLoader(data, options.BatchSize, shuffle: true, seed: seed, prefetch: 0);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            Generator.Default.ManualSeed(seed * 1_000_003UL + (ulong)epoch);
            foreach (var (x, y) in loader.Epoch(epoch))
            {
                using (var scope = new TensorScope())
                {
                    optimizer.ZeroGrad();
                    Tensor.CrossEntropy(model.Forward(x), y).Backward();
                    using (Autograd.NoGrad.Enter())
                        foreach (var (name, p) in named)
                            if (p.Grad is { } grad) grad.AddInPlace(p.Sub(center[name]), (float)mu);
                    Optim.GradientClipping.GradNorm(parameters);
                    optimizer.Step();
                }
                x.Dispose();
                y.Dispose();
            }
        }
        return model.Parameters().SelectMany(p => p.ToArray()).ToArray();
    }

    /// <summary>A small MLP and a separable two-class problem.</summary>
    internal static (Sapling.NN.Module<Tensor, Tensor> Model, TensorDataset Data) TinyProblem()
    {
        var g = new Generator(3);
        var x = new float[64 * 4];
        var y = new long[64];
        for (int i = 0; i < 64; i++)
        {
            y[i] = i % 2;
            for (int j = 0; j < 4; j++) x[i * 4 + j] = (float)g.NextNormal() + (y[i] == 1 ? 1.5f : -1.5f);
        }
        var model = ClassifierFolder.Create(new ClassifierConfig { ModelType = "mlp", InputShape = [4], HiddenSizes = [8], NumClasses = 2 }, new Generator(1)).Module;
        return (model, new TensorDataset(Tensor.FromArray(x, 64, 4), Tensor.FromArray(y)));
    }
}
