using Sapling.Models;
using Sapling.Training.Runs;

namespace Sapling.Training.LanguageModel.Objectives;

/// <summary>
/// What a language-model run optimises; the trainer around it (schedule, clipping, checkpoints, best step, run folder)
/// is the same for all: next-token prediction, distillation from a teacher, preference tuning, instruction tuning.
/// </summary>
public interface ILmObjective
{
    /// <summary>The loss on step <paramref name="step"/>'s training batch (the batch depends only on the step, so a
    /// resumed run sees the same ones), and how many tokens it covered.</summary>
    (Tensor Loss, long Tokens) TrainingLoss(ITrainableModel model, long step);

    /// <summary>Validation in eval mode, without gradients.</summary>
    LmValidation Validate(ITrainableModel model);

    /// <summary>A reference loss to beat, drawn as a dashed line (the unigram loss for next-token prediction).</summary>
    double? BaselineLoss { get; }

    /// <summary>What the baseline is, for the plot's legend.</summary>
    string BaselineName => "unigram baseline";

    /// <summary>Whether the loss is a mean next-token cross-entropy, so exp(loss) is a perplexity worth printing.</summary>
    bool LossIsPerplexity => true;

    /// <summary>Whether the model is trained to write text, so a sample in the log means something.</summary>
    bool WritesText => true;

    /// <summary>What the data holds, for the log.</summary>
    string Describe();

    /// <summary>Final evaluation of the chosen model (e.g. on a test split), written into the run folder and results.</summary>
    void Report(ITrainableModel model, RunFolder run, IDictionary<string, object?> results) { }
}
