using System.CommandLine;
using Sapling.Cli.Config;
using Sapling.Cli.Progress;
using Sapling.Training;

namespace Sapling.Cli.Commands;

/// <summary><c>sapling train config.yaml [--out DIR] [--set key=value ...] [--resume DIR]</c></summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var config = new Argument<string>("config") { Description = "YAML config (see configs/)" };
        var output = new Option<string?>("--out") { Description = "Run folder (default: runs/<config name>)" };
        var set = new Option<string[]>("--set") { Description = "Override a setting, e.g. --set train.lr=3e-4 (repeatable)", AllowMultipleArgumentsPerToken = false };
        var resume = new Option<string?>("--resume") { Description = "Continue from a run folder or checkpoint" };
        var plain = new Option<bool>("--plain") { Description = "Print one line per epoch instead of live progress bars" };
        var cmd = new Command("train", "Train a model as a YAML config describes, writing a run folder") { config, output, set, resume, plain };
        cmd.SetAction(r => Run(r.GetValue(config)!, r.GetValue(output), r.GetValue(set) ?? [], r.GetValue(resume), r.GetValue(plain)));
        return cmd;
    }

    private static int Run(string configPath, string? output, string[] overrides, string? resume, bool plain)
    {
        var tree = ConfigTree.Load(configPath);
        foreach (var assignment in overrides) tree.Set(assignment);
        string runDirectory = output ?? Path.Combine("runs", Path.GetFileNameWithoutExtension(configPath));
        string task = tree.Get("task", "classification");
        if (task == "language_model") return TrainLanguageModel(tree, runDirectory, resume, plain);
        if (task != "classification") throw new ArgumentException($"{configPath}: task must be classification or language_model, got '{task}'");
        var (data, model, train) = ClassificationConfig.Bind(tree);
        var trainer = (IProgressReporter reporter) => new ClassificationTrainer(model, data, train, reporter).Run(runDirectory, resume, tree.ToYaml());
        var result = !plain && SpectreProgress.IsInteractive ? SpectreProgress.Create().Run(trainer) : trainer(new ConsoleProgress());
        Console.WriteLine($"run folder: {result.RunDirectory}");
        Console.WriteLine($"test accuracy {result.Test.Accuracy:P2}  macro F1 {result.Test.MacroF1:F4}  (curves.svg, confusion_matrix.svg, results.json)");
        return 0;
    }

    private static int TrainLanguageModel(ConfigTree tree, string runDirectory, string? resume, bool plain)
    {
        var options = LanguageModelConfig.Bind(tree);
        var trainer = (IProgressReporter reporter) => new LmTrainer(options, reporter).Run(runDirectory, resume, tree.ToYaml());
        var result = !plain && SpectreProgress.IsInteractive ? SpectreProgress.Create().Run(trainer) : trainer(new ConsoleProgress());
        Console.WriteLine($"run folder: {result.RunDirectory}");
        Console.WriteLine($"validation loss {result.ValidationLoss:F3} vs unigram baseline {result.UnigramBaselineLoss:F3}; {result.TokensPerSecond:F0} tokens/s; try: sapling generate --model {result.ModelDirectory} --prompt \"...\"");
        return 0;
    }
}
