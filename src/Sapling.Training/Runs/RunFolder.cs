namespace Sapling.Training.Runs;

/// <summary>
/// The folder one training run writes: resolved config, metrics.jsonl, a log, checkpoints, the final model, plots
/// and results. Created on construction; existing runs are resumed or refused, never silently mixed.
/// </summary>
public sealed class RunFolder
{
    /// <param name="create">False only names the paths (a data-parallel rank other than 0, which writes nothing).</param>
    public RunFolder(string root, bool create = true)
    {
        Root = Path.GetFullPath(root);
        if (!create) return;
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(CheckpointsDirectory);
    }

    /// <summary>The run folder's absolute path.</summary>
    public string Root { get; }
    /// <summary>config.yaml: the resolved config the run was started with.</summary>
    public string ConfigPath => Path.Combine(Root, "config.yaml");
    /// <summary>metrics.jsonl: one JSON record per epoch or evaluation.</summary>
    public string MetricsPath => Path.Combine(Root, "metrics.jsonl");
    /// <summary>train.log: timestamped messages (see <see cref="Log"/>).</summary>
    public string LogPath => Path.Combine(Root, "train.log");
    /// <summary>checkpoints/: the checkpoints a resumed run continues from.</summary>
    public string CheckpointsDirectory => Path.Combine(Root, "checkpoints");
    /// <summary>model/: the final model the run leaves.</summary>
    public string ModelDirectory => Path.Combine(Root, "model");
    /// <summary>best-model/: the model as it was at the best monitored evaluation so far.</summary>
    public string BestModelDirectory => Path.Combine(Root, "best-model");
    /// <summary>curves.svg: loss and metric curves over the run.</summary>
    public string CurvesPath => Path.Combine(Root, "curves.svg");
    /// <summary>confusion_matrix.svg: the test split's confusion matrix.</summary>
    public string ConfusionMatrixPath => Path.Combine(Root, "confusion_matrix.svg");
    /// <summary>results.json: the run's final figures.</summary>
    public string ResultsPath => Path.Combine(Root, "results.json");
    /// <summary>classification_report.txt: per-class precision, recall and F1 on the test split.</summary>
    public string ReportPath => Path.Combine(Root, "classification_report.txt");
    /// <summary>test_predictions.jsonl: one line per test example with its prediction.</summary>
    public string PredictionsPath => Path.Combine(Root, "test_predictions.jsonl");

    /// <summary>Appends a timestamped line to train.log.</summary>
    public void Log(string message) => File.AppendAllText(LogPath, $"{DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} {message}{Environment.NewLine}");
}
