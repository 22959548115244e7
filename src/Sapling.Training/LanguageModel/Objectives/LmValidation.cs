namespace Sapling.Training.LanguageModel.Objectives;

/// <summary>Validation of a language-model run: the loss that picks the best step (lower is better) and other figures.</summary>
public sealed record LmValidation(double Loss, IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>A validation that has only a loss, no other figures.</summary>
    public static LmValidation OfLoss(double loss) => new(loss, new Dictionary<string, double>());
}
