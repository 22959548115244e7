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

    public string Root { get; }
    public string ConfigPath => Path.Combine(Root, "config.yaml");
    public string MetricsPath => Path.Combine(Root, "metrics.jsonl");
    public string LogPath => Path.Combine(Root, "train.log");
    public string CheckpointsDirectory => Path.Combine(Root, "checkpoints");
    public string ModelDirectory => Path.Combine(Root, "model");
    public string BestModelDirectory => Path.Combine(Root, "best-model");
    public string CurvesPath => Path.Combine(Root, "curves.svg");
    public string ConfusionMatrixPath => Path.Combine(Root, "confusion_matrix.svg");
    public string ResultsPath => Path.Combine(Root, "results.json");
    public string ReportPath => Path.Combine(Root, "classification_report.txt");
    public string PredictionsPath => Path.Combine(Root, "test_predictions.jsonl");

    /// <summary>Appends a timestamped line to train.log.</summary>
    public void Log(string message) => File.AppendAllText(LogPath, $"{DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} {message}{Environment.NewLine}");
}
