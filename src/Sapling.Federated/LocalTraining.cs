using Sapling.Autograd;
using Sapling.Data;
using Sapling.NN;
using Sapling.Optim;
using Sapling.Training;

namespace Sapling.Federated;

/// <summary>
/// A client's work in one round: a few epochs over its own examples, starting from the global weights. With FedProx
/// the gradient also pulls each weight back towards the round's global weights (the gradient of μ/2·‖w − w_global‖²),
/// which limits how far clients with very different data drift apart.
/// </summary>
public static class LocalTraining
{
    public static LocalResult Train(Module<Tensor, Tensor> model, TensorDataset data, TrainingOptions options, int epochs, ulong seed,
        IReadOnlyDictionary<string, Tensor>? proximalCenter = null, double mu = 0)
    {
        if (data.Count == 0) return new LocalResult(0, double.NaN, double.NaN);
        model.Train();
        var named = model.NamedParameters().Where(p => p.Parameter.RequiresGrad).ToList();
        // A fresh optimizer per round, as in FedAvg: clients keep no state between rounds but their data.
        var parameters = named.Select(p => p.Parameter).ToList();
        Optimizer optimizer = options.Optimizer switch
        {
            "sgd" => new Sgd(parameters, options.LearningRate, options.Momentum, weightDecay: options.WeightDecay, nesterov: options.Nesterov),
            "adam" => new Adam(parameters, options.LearningRate, weightDecay: options.WeightDecay),
            _ => new AdamW(parameters, options.LearningRate, weightDecay: options.WeightDecay),
        };
        var loader = new DataLoader(data, options.BatchSize, shuffle: true, seed: seed, prefetch: 0);
        double lossSum = 0;
        long correct = 0, seen = 0;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            Generator.Default.ManualSeed(seed * 1_000_003UL + (ulong)epoch);
            foreach (var (x, y) in loader.Epoch(epoch))
            {
                using (var scope = new TensorScope())
                {
                    optimizer.ZeroGrad();
                    var logits = model.Forward(x);
                    var loss = Tensor.CrossEntropy(logits, y, labelSmoothing: options.LabelSmoothing);
                    lossSum += loss.Item() * y.NumEl;
                    loss.Backward();
                    using (NoGrad.Enter())
                    {
                        var predicted = logits.ArgMax(-1).AsSpan<long>();
                        var truth = y.AsSpan<long>();
                        for (int i = 0; i < truth.Length; i++) if (predicted[i] == truth[i]) correct++;
                        if (proximalCenter != null && mu > 0)
                            foreach (var (name, p) in named)
                                if (p.Grad is { } grad) grad.AddInPlace(p.Sub(proximalCenter[name]), (float)mu);
                    }
                    float norm = options.GradClip is float clip ? GradientClipping.ClipGradNorm(parameters, clip) : GradientClipping.GradNorm(parameters);
                    if (!float.IsFinite(norm))
                    {
                        // The weights stay those of the last finite step; the coordinator refuses a non-finite update anyway.
                        x.Dispose();
                        y.Dispose();
                        optimizer.ZeroGrad();
                        return new LocalResult(data.Count, double.NaN, double.NaN) { Diverged = true };
                    }
                    optimizer.Step();
                    seen += y.NumEl;
                }
                x.Dispose();
                y.Dispose();
            }
        }
        optimizer.ZeroGrad();
        return new LocalResult(data.Count, lossSum / seen, (double)correct / seen);
    }
}
