using Spectre.Console;
using Sapling.Training.Progress;

namespace Sapling.Cli.Progress;

/// <summary>
/// A live display for interactive terminals: one bar per epoch that fills batch by batch with the running loss and
/// throughput, and that becomes the epoch's summary line (losses, accuracies, learning rate, gradient norm, ETA).
/// </summary>
public sealed class SpectreProgress(ProgressContext context) : IProgressReporter
{
    private ProgressTask? task;
    private int epoch, totalEpochs;
    private string unit = "samples";
    private bool stepMode;

    /// <summary>
    /// Whether the console can show a live display: an interactive terminal with output not redirected.
    /// </summary>
    public static bool IsInteractive => AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;

    /// <summary>A runner that starts the live display and hands the work a reporter drawing into it.</summary>
    public static ProgressContextRunner Create() => new();

    /// <inheritdoc/>
    public void EpochStarted(int epoch, int totalEpochs, int batches)
    {
        (this.epoch, this.totalEpochs) = (epoch, totalEpochs);
        task = context.AddTask(Markup.Escape($"epoch {epoch}/{totalEpochs}"), maxValue: batches);
    }

    /// <inheritdoc/>
    public void StepsStarted(int steps, string unit)
    {
        (stepMode, this.unit) = (true, unit);
        task = context.AddTask("training", maxValue: steps);
    }

    /// <inheritdoc/>
    public void BatchFinished(int batch, int batches, double meanLoss, double samplesPerSecond)
    {
        if (task == null) return;
        task.Value = batch;
        string where = stepMode ? $"step {batch}/{batches}" : $"epoch {epoch}/{totalEpochs}";
        task.Description = Markup.Escape($"{where}  loss {meanLoss:F4}  {samplesPerSecond:F0} {unit}/s");
    }

    /// <inheritdoc/>
    public void EpochFinished(EpochRecord r, TimeSpan eta)
    {
        if (task == null) return;
        task.Description = Markup.Escape($"epoch {r.Epoch}/{totalEpochs}  loss {r.TrainLoss:F4} acc {r.TrainAccuracy:P1}  val {r.ValLoss:F4} acc {r.ValAccuracy:P1}  lr {r.LearningRate:G3}  |g| {r.GradNorm:G3}  ETA {eta:mm\\:ss}");
        task.StopTask();
    }

    // Lines written while the live display runs are printed above it, so messages need no progress bar of their own.
    /// <inheritdoc/>
    public void Warning(string message) => AnsiConsole.MarkupLine($"[yellow]{Markup.Escape("warning: " + message)}[/]");

    /// <inheritdoc/>
    public void Message(string message) => AnsiConsole.MarkupLine(Markup.Escape(message));

    /// <summary>Runs work inside a live progress display, which stays on screen when the work ends.</summary>
    public sealed class ProgressContextRunner
    {
        /// <summary>
        /// Runs <paramref name="work"/> with a <see cref="SpectreProgress"/> reporter and returns its result.
        /// </summary>
        public T Run<T>(Func<IProgressReporter, T> work) => AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx => work(new SpectreProgress(ctx)));
    }
}
