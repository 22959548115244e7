using System.CommandLine;
using System.Diagnostics;
using Sapling.Backends.Cpu;
using Sapling.Cli.Config;
using Sapling.IO;
using Sapling.Training.Sweeps;
using Sapling.Training.Classification;
using Sapling.Training.Progress;

namespace Sapling.Cli.Commands;

/// <summary>
/// <c>sapling sweep config.yaml [--out DIR] [--parallel N]</c>: a hyper-parameter search over the settings the config's
/// sweep: section lists, each trial a normal run folder; <c>sapling sweep report DIR</c>: leaderboard and plots.
/// </summary>
public static class SweepCommand
{
    /// <summary>Builds the <c>sapling sweep</c> command and its <c>report</c> subcommand.</summary>
    public static Command Create()
    {
        var config = new Argument<string>("config") { Description = "Training config with a sweep: section (see configs/digits-cnn-sweep.yaml)" };
        var output = new Option<string?>("--out") { Description = "Sweep folder (default: sweeps/<config name>); rerunning continues it" };
        var parallel = new Option<int>("--parallel") { Description = "Trials trained at the same time; the cores are split between them", DefaultValueFactory = _ => 1 };
        var cmd = new Command("sweep", "Search hyper-parameters: train the trials a config's sweep: section describes, pruning poor ones") { config, output, parallel };
        cmd.SetAction(r => Run(r.GetValue(config)!, r.GetValue(output), r.GetValue(parallel)));

        var directory = new Argument<string>("dir") { Description = "Sweep folder" };
        var markdown = new Option<bool>("--markdown") { Description = "Print the leaderboard as a Markdown table" };
        var report = new Command("report", "Print a sweep's leaderboard and draw its metric-versus-setting plots") { directory, markdown };
        report.SetAction(r => Report(r.GetValue(directory)!, r.GetValue(markdown)));
        cmd.Subcommands.Add(report);
        return cmd;
    }

    private static int Run(string configPath, string? output, int parallel)
    {
        if (parallel < 1) throw new ArgumentException($"--parallel must be at least 1, got {parallel}");
        var plan = SweepConfig.Bind(ConfigTree.Load(configPath).Detach("sweep") ?? throw new InvalidDataException($"{configPath} has no sweep: section; add one (see configs/digits-cnn-sweep.yaml)"));
        CheckTrials(configPath, plan);
        string directory = output ?? Path.Combine("sweeps", Path.GetFileNameWithoutExtension(configPath));
        Directory.CreateDirectory(directory);
        AtomicFile.WriteAllText(Path.Combine(directory, "sweep-config.yaml"), File.ReadAllText(configPath));
        Console.WriteLine($"sweep of {plan.Trials.Count} trials over {string.Join(", ", plan.Space.Parameters.Select(p => p.Name))}, ranked by {plan.Metric.Name}"
            + (plan.Pruner is { } p ? $"; ASHA rungs at epochs {string.Join(", ", p.Rungs)} of {p.MaxEpochs}, keeping the best 1/{p.ReductionFactor}" : "") + $"; folder {Path.GetFullPath(directory)}");

        var clock = Stopwatch.StartNew();
        using (SplitCores(parallel))
        {
            var runner = new SweepRunner(directory, plan.Metric, plan.Pruner, parallel, Console.Out);
            runner.Run(plan.Trials, plan.Axes, (trial, continueAfterEpoch) =>
            {
                var tree = TrialTree(configPath, plan, trial.Settings);
                var (data, model, train) = ClassificationConfig.Bind(tree);
                var trainer = new ClassificationTrainer(model, data, train, new ConsoleProgress(TextWriter.Null)) { ContinueAfterEpoch = continueAfterEpoch };
                return trainer.Run(trial.RunDirectory, resumeFrom: null, tree.ToYaml());
            });
        }
        Console.WriteLine($"sweep finished in {clock.Elapsed.TotalMinutes:F1} min");
        return Report(directory, markdown: false);
    }

    private static int Report(string directory, bool markdown)
    {
        var report = new SweepReport(SweepJournal.Read(directory));
        Console.Write(report.Leaderboard(markdown));
        foreach (var file in report.DrawPlots(directory)) Console.WriteLine($"plot: {file}");
        if (report.Ranked.Count > 0) Console.WriteLine($"best run folder: {Path.Combine(Path.GetFullPath(directory), report.Ranked[0].RunDirectory)}");
        return 0;
    }

    /// <summary>
    /// Trials running side by side share the cores instead of each asking for all of them: the managed kernels' pool and
    /// OpenBLAS each get cores / N threads. (Left at its own thread count, OpenBLAS called from two trials at once
    /// fought itself: a 2-trial sweep took 2.9 min instead of 0.5.) Restored when disposed.
    /// </summary>
    private static IDisposable? SplitCores(int parallel)
    {
        if (parallel == 1) return null;
        int share = Math.Max(1, Environment.ProcessorCount / parallel);
        var (workers, blas) = (CpuWorkers.Threads, OpenBlasNative.IsAvailable ? OpenBlasNative.Threads : 0);
        CpuWorkers.Threads = share;
        if (blas > 0) OpenBlasNative.SetThreads(share);
        return new Restore(() =>
        {
            CpuWorkers.Threads = workers;
            if (blas > 0) OpenBlasNative.SetThreads(blas);
        });
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    /// <summary>The training config of one trial: the file without its sweep: section, with the trial's settings applied.</summary>
    private static ConfigTree TrialTree(string configPath, SweepPlan plan, IEnumerable<Setting> settings)
    {
        var tree = ConfigTree.Load(configPath);
        tree.Detach("sweep");
        if (plan.MaxEpochs is int epochs) tree.Set($"train.epochs={epochs}");
        foreach (var setting in settings) tree.Set(setting.ToString());
        return tree;
    }

    /// <summary>Binds every trial's config before any training, so a misspelt setting or a bad value fails at once.</summary>
    private static void CheckTrials(string configPath, SweepPlan plan)
    {
        var plain = TrialTree(configPath, plan, []);
        string task = plain.Get("task", "classification");
        if (task != "classification") throw new ArgumentException($"{configPath}: sweeps support task: classification, got '{task}'");
        ClassificationConfig.Bind(plain);
        var known = plain.KnownKeys;
        foreach (var parameter in plan.Space.Parameters)
            if (!known.Contains(parameter.Name))
                throw new ArgumentException($"sweep parameter '{parameter.Name}' is not a setting; known settings are: {string.Join(", ", known.Where(k => k != "task").Order())}");
        foreach (var trial in plan.Trials)
            ClassificationConfig.Bind(TrialTree(configPath, plan, trial)).Train.Validate();
    }
}
