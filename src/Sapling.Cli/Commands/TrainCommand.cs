using System.CommandLine;
using Sapling.Backends.Cpu;
using Sapling.Cli.Config;
using Sapling.Cli.Progress;
using Sapling.Distributed;
using Sapling.Training.Classification;
using Sapling.Training.LanguageModel;
using Sapling.Training.Progress;

namespace Sapling.Cli.Commands;

/// <summary><c>sapling train config.yaml [--out DIR] [--set key=value ...] [--resume DIR] [--nproc N]</c></summary>
public static class TrainCommand
{
    /// <summary>Builds the <c>sapling train</c> command with its options and action.</summary>
    public static Command Create()
    {
        var config = new Argument<string>("config") { Description = "YAML config (see configs/)" };
        var output = new Option<string?>("--out") { Description = "Run folder (default: runs/<config name>)" };
        var set = new Option<string[]>("--set") { Description = "Override a setting, e.g. --set train.lr=3e-4 (repeatable)", AllowMultipleArgumentsPerToken = false };
        var resume = new Option<string?>("--resume") { Description = "Continue from a run folder or checkpoint" };
        var plain = new Option<bool>("--plain") { Description = "Print one line per epoch instead of live progress bars" };
        var nproc = new Option<int>("--nproc") { Description = "Train on N processes (data parallel over Open MPI), started through mpirun", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "Compute threads per process (default: all cores, or cores ÷ ranks on this machine under MPI)" };
        var cmd = new Command("train", "Train a model as a YAML config describes, writing a run folder") { config, output, set, resume, plain, nproc, threads };
        cmd.SetAction(r =>
        {
            var (configPath, runDirectory, overrides, resumeFrom) = (r.GetValue(config)!, r.GetValue(output), r.GetValue(set) ?? [], r.GetValue(resume));
            int processes = r.GetValue(nproc);
            if (processes < 1) throw new ArgumentException($"--nproc must be ≥ 1, got {processes}");
            int threadCount = r.GetValue(threads);
            if (threadCount < 0) throw new ArgumentException($"--threads must be ≥ 1, got {threadCount}");
            if (processes > 1 && !ProcessGroups.LaunchedByMpirun(ProcessGroups.CurrentEnvironment()))
                return MpirunLauncher.Run(processes, RankArguments(configPath, runDirectory, overrides, resumeFrom, r.GetValue(Program.BlasOption)!, threadCount));
            return RunInGroup(configPath, runDirectory, overrides, resumeFrom, r.GetValue(plain), threadCount);
        });
        return cmd;
    }

    /// <summary>What each rank started by --nproc runs: this command without --nproc, with progress as plain lines.</summary>
    private static List<string> RankArguments(string configPath, string? output, string[] overrides, string? resume, string blas, int threads)
    {
        var arguments = new List<string> { "train", Path.GetFullPath(configPath), "--plain", "--blas", blas };
        if (threads > 0) arguments.AddRange(["--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (output != null) arguments.AddRange(["--out", Path.GetFullPath(output)]);
        foreach (var assignment in overrides) arguments.AddRange(["--set", assignment]);
        if (resume != null) arguments.AddRange(["--resume", Path.GetFullPath(resume)]);
        return arguments;
    }

    /// <summary>
    /// Trains alone, or as one rank of an mpirun job. A rank that fails aborts the whole job (MPI_Abort) after saying
    /// which rank failed and why, so the other ranks do not wait forever in their next all-reduce.
    /// </summary>
    private static int RunInGroup(string configPath, string? output, string[] overrides, string? resume, bool plain, int threadCount)
    {
        using var group = ProcessGroups.FromEnvironment(ProcessGroups.CurrentEnvironment());
        // The ranks on one machine share its cores.
        int threads = threadCount > 0 ? threadCount : group.Size == 1 ? 0 : ProcessGroups.ThreadsPerRank(Environment.ProcessorCount, group.LocalSize);
        if (threads > 0) ComputeThreads.Set(threads);
        if (group.Size == 1) return Run(configPath, output, overrides, resume, plain, group);
        try
        {
            return Run(configPath, output, overrides, resume, plain: true, group);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"error: rank {group.Rank} of {group.Size} failed: {e.Message}; stopping all ranks");
            group.Abort(1);
            return 1;
        }
    }

    private static int Run(string configPath, string? output, string[] overrides, string? resume, bool plain, IProcessGroup group)
    {
        var tree = ConfigTree.Load(configPath, overrides);
        // The library's messages about options name the keys of this config.
        using var names = OptionNames.Use(tree.OptionName);
        string runDirectory = output ?? Path.Combine("runs", Path.GetFileNameWithoutExtension(configPath));
        string task = tree.Get("task", "classification");
        var parallelism = DistributedConfig.Bind(tree);
        if (task == "language_model") return TrainLanguageModel(tree, runDirectory, resume, plain, group, parallelism);
        if (task != "classification") throw new ArgumentException($"{configPath}: task must be classification or language_model, got '{task}'");
        var (data, model, train) = ClassificationConfig.Bind(tree);
        var trainer = (IProgressReporter reporter) => new ClassificationTrainer(model, data, train, reporter) { ProcessGroup = group, Parallelism = parallelism }.Run(runDirectory, resume, tree.ToYaml());
        var result = !plain && SpectreProgress.IsInteractive ? SpectreProgress.Create().Run(trainer) : trainer(new ConsoleProgress());
        if (group.Rank != 0) return 0;
        Console.WriteLine($"run folder: {result.RunDirectory}");
        Console.WriteLine($"test accuracy {result.Test.Accuracy:P2}  macro F1 {result.Test.MacroF1:F4}  (curves.svg, confusion_matrix.svg, results.json)");
        return FinetuneCommand.Diverged(result.Diverged);
    }

    private static int TrainLanguageModel(ConfigTree tree, string runDirectory, string? resume, bool plain, IProcessGroup group, DataParallelOptions parallelism)
    {
        var options = LanguageModelConfig.Bind(tree);
        var trainer = (IProgressReporter reporter) => new LmTrainer(options, reporter) { ProcessGroup = group, Parallelism = parallelism }.Run(runDirectory, resume, tree.ToYaml());
        var result = !plain && SpectreProgress.IsInteractive ? SpectreProgress.Create().Run(trainer) : trainer(new ConsoleProgress());
        if (group.Rank != 0) return 0;
        Console.WriteLine($"run folder: {result.RunDirectory}");
        var next = options.Architecture == "bert" ? $"fine-tune it: method classify with model.path {result.ModelDirectory}"
            : options.IsSeq2SeqArchitecture ? $"try: sapling translate --model {result.ModelDirectory} --text \"...\"; test translations in {Path.Combine(result.RunDirectory, "test_predictions.jsonl")}"
            : $"try: sapling generate --model {result.ModelDirectory} --prompt \"...\"";
        Console.WriteLine(double.IsNaN(result.UnigramBaselineLoss)
            ? $"validation loss {result.ValidationLoss:F3}; {result.TokensPerSecond:F0} tokens/s; {next}"
            : $"validation loss {result.ValidationLoss:F3} vs unigram baseline {result.UnigramBaselineLoss:F3}; {result.TokensPerSecond:F0} tokens/s; {next}");
        return FinetuneCommand.Diverged(result.Diverged);
    }
}
