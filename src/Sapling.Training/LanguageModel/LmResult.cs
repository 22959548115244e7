namespace Sapling.Training.LanguageModel;

/// <summary>What a language-model run ended with.</summary>
public sealed record LmResult(string RunDirectory, string ModelDirectory, double ValidationLoss, double UnigramBaselineLoss, double TokensPerSecond, IReadOnlyList<string> Samples)
{
    /// <summary>The adapter folder of a LoRA or prompt-tuning run.</summary>
    public string? AdapterDirectory { get; init; }

    /// <summary>Validation loss of the starting model, before fine-tuning (NaN when pretraining).</summary>
    public double BaseValidationLoss { get; init; } = double.NaN;

    /// <summary>Training stopped at a non-finite loss or gradient; the model is the best finite one kept before that.</summary>
    public bool Diverged { get; init; }
}
