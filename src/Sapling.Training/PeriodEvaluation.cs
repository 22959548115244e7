using Sapling.Training.Progress;

namespace Sapling.Training;

/// <summary>
/// What a recipe reports at the end of a period (an epoch, or the steps up to an evaluation): the figure that picks
/// the best model (NaN when the recipe does not evaluate), the line for metrics.jsonl, the epoch's record for the run's
/// history, and, when a figure is not finite, what diverged.
/// </summary>
/// <param name="Monitored">The figure that picks the best model; NaN when the recipe does not evaluate.</param>
public sealed record PeriodEvaluation(double Monitored)
{
    /// <summary>The line for metrics.jsonl; null writes none.</summary>
    public IReadOnlyDictionary<string, object?>? LogRecord { get; init; }

    /// <summary>The period's record for the run's history and curves; null when there is none.</summary>
    public EpochRecord? Record { get; init; }

    /// <summary>The non-finite figures ("loss NaN, validation loss NaN"); null when everything is finite.</summary>
    public string? Divergence { get; init; }
}
