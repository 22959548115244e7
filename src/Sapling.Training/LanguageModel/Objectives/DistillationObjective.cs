using Sapling.Models;

namespace Sapling.Training.LanguageModel.Objectives;

/// <summary>
/// Knowledge distillation (Hinton et al., 2015): the student predicts the next token and also matches the teacher's
/// distribution softened at temperature T, loss = α·T²·KL(softmax(t/T) ‖ softmax(s/T)) + (1 − α)·CE(s, next token).
/// T² keeps the soft term's gradients on the scale of the hard one's as T changes.
/// </summary>
public sealed class DistillationObjective(TokenData data, LmOptions options, ICausalLM teacher) : ILmObjective
{
    private readonly NextTokenObjective nextToken = new(data, options, teacher.VocabSize);
    private double teacherLoss = double.NaN;

    /// <inheritdoc/>
    public double? BaselineLoss => nextToken.BaselineLoss;

    /// <inheritdoc/>
    public (Tensor Loss, long Tokens) TrainingLoss(ITrainableModel trainable, long step)
    {
        var model = trainable.AsCausalLM();
        var (x, y) = data.TrainBatch(options.BatchSize, options.Context, options.Seed, step);
        int vocab = model.VocabSize;
        float t = options.DistillTemperature;
        Tensor teacherProbabilities, teacherLogProbabilities;
        using (Autograd.NoGrad.Enter())
        {
            var softened = teacher.Forward(x).Reshape(-1, vocab).Div(t);
            teacherProbabilities = softened.Softmax(-1);
            teacherLogProbabilities = softened.LogSoftmax(-1);
        }
        var logits = model.Forward(x).Reshape(-1, vocab);
        var studentLogProbabilities = logits.Div(t).LogSoftmax(-1);
        // KL summed over the vocabulary, averaged over tokens (PyTorch's kl_div with reduction "batchmean" on [tokens, vocab]).
        var kl = teacherProbabilities.Mul(teacherLogProbabilities.Sub(studentLogProbabilities)).Sum().Div(logits.Shape[0]);
        var hard = Tensor.CrossEntropy(logits, y.Reshape(-1));
        float alpha = options.DistillAlpha;
        return (kl.Mul(alpha * t * t).Add(hard.Mul(1 - alpha)), x.NumEl);
    }

    /// <summary>The student's next-token loss (what distillation should bring towards the teacher's), beside the teacher's own.</summary>
    public LmValidation Validate(ITrainableModel trainable)
    {
        var model = trainable.AsCausalLM();
        if (double.IsNaN(teacherLoss)) teacherLoss = NextTokenObjective.Evaluate(teacher, data.Validation, options);
        double loss = NextTokenObjective.Evaluate(model, data.Validation, options);
        return new LmValidation(loss, new Dictionary<string, double> { ["teacher_val_loss"] = teacherLoss });
    }

    /// <inheritdoc/>
    public string Describe() => $"distillation at temperature {options.DistillTemperature} (soft-target weight {options.DistillAlpha}) from a teacher of {teacher.Network.ParameterCount():N0} parameters; {nextToken.Describe()}";
}
