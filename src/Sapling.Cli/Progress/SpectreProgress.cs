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

    public static bool IsInteractive => AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;

    public static ProgressContextRunner Create() => new();

    public void EpochStarted(int epoch, int totalEpochs, int batches)
    {
        (this.epoch, this.totalEpochs) = (epoch, totalEpochs);
        task = context.AddTask(Markup.Escape($"epoch {epoch}/{totalEpochs}"), maxValue: batches);
    }

    public void StepsStarted(int steps, string unit)
    {
        (stepMode, this.unit) = (true, unit);
        task = context.AddTask("training", maxValue: steps);
    }

    public void BatchFinished(int batch, int batches, double meanLoss, double samplesPerSecond)
    {
        if (task == null) return;
        task.Value = batch;
        string where = stepMode ? $"step {batch}/{batches}" : $"epoch {epoch}/{totalEpochs}";
        task.Description = Markup.Escape($"{where}  loss {meanLoss:F4}  {samplesPerSecond:F0} {unit}/s");
    }

    public void EpochFinished(EpochRecord r, TimeSpan eta)
    {
        if (task == null) return;
        task.Description = Markup.Escape($"epoch {r.Epoch}/{totalEpochs}  loss {r.TrainLoss:F4} acc {r.TrainAccuracy:P1}  val {r.ValLoss:F4} acc {r.ValAccuracy:P1}  lr {r.LearningRate:G3}  |g| {r.GradNorm:G3}  ETA {eta:mm\\:ss}");
        task.StopTask();
    }

    // Lines written while the live display runs are printed above it, so messages need no progress bar of their own.
    public void Warning(string message) => AnsiConsole.MarkupLine($"[yellow]{Markup.Escape("warning: " + message)}[/]");

    public void Message(string message) => AnsiConsole.MarkupLine(Markup.Escape(message));

    public sealed class ProgressContextRunner
    {
        public T Run<T>(Func<IProgressReporter, T> work) => AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx => work(new SpectreProgress(ctx)));
    }
}
