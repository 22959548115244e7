using Sapling.Data;
using Sapling.Models;

namespace Sapling.Training.LanguageModel.Objectives;

/// <summary>Next-token prediction on random context windows of a token stream (pretraining and domain adaptation).</summary>
public sealed class NextTokenObjective(TokenData data, LmOptions options, int vocabSize) : ILmObjective
{
    /// <summary>The token stream, split into training and validation.</summary>
    public TokenData Data { get; } = data;

    /// <inheritdoc/>
    public double? BaselineLoss { get; } = data.UnigramBaselineLoss(vocabSize);

    /// <summary>This process's rows of every batch (data parallelism); the whole batch by default.</summary>
    public BatchShard Shard { get; init; } = BatchShard.Whole;

    /// <inheritdoc/>
    public (Tensor Loss, long Tokens) TrainingLoss(ITrainableModel model, long step)
    {
        var (x, y) = Data.TrainBatch(options.BatchSize, options.Context, options.Seed, step, Shard);
        return (model.AsCausalLM().NextTokenLoss(x, y), x.NumEl);
    }

    /// <inheritdoc/>
    public LmValidation Validate(ITrainableModel model) => LmValidation.OfLoss(Evaluate(model.AsCausalLM(), Data.Validation, options));

    /// <inheritdoc/>
    public string Describe() => $"{Data.TrainLength:N0} training tokens, {Data.Validation.Length:N0} validation tokens; unigram baseline loss {BaselineLoss:F3}";

    /// <summary>Mean next-token loss over consecutive validation windows (at most the configured number of batches).</summary>
    public static double Evaluate(ICausalLM model, int[] stream, LmOptions options)
    {
        model.Network.Eval();
        using var _ = Autograd.NoGrad.Enter();
        double sum = 0;
        long count = 0;
        foreach (var (x, y) in TokenData.Windows(stream, options.BatchSize, options.Context, options.EvalBatches))
        {
            using var scope = new TensorScope();
            sum += model.NextTokenLoss(x, y, Reduction.Sum).Item();
            count += y.NumEl;
        }
        return sum / Math.Max(count, 1);
    }
}
