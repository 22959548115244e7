using System.Diagnostics;
using System.Globalization;
using Sapling.Training.Classification;
using Sapling.Training.Progress;
using Sapling.Training.Guards;

namespace Sapling.Training.Sweeps;

/// <summary>
/// Trains a sweep's trials, one after another or several at a time, each as a normal run folder under the sweep
/// folder, pruning with <see cref="SuccessiveHalving"/> when given. Finished trials are read back from the journal
/// and skipped, so rerunning after a crash continues the sweep; a trial that was cut off runs again from scratch.
/// </summary>
public sealed class SweepRunner(string directory, SweepMetric metric, SuccessiveHalving? pruner = null, int parallel = 1, TextWriter? log = null)
{
    private readonly TextWriter log = log ?? TextWriter.Null;

    /// <summary>
    /// Runs every trial of <paramref name="trials"/> that the journal does not list as finished. <paramref name="train"/>
    /// trains one trial, calling the callback it is given after each epoch and stopping when it returns false.
    /// </summary>
    public IReadOnlyList<TrialRecord> Run(IReadOnlyList<Setting[]> trials, IReadOnlyList<ParameterAxis> axes, Func<SweepTrial, Func<EpochRecord, bool>, ClassificationResult> train)
    {
        if (parallel < 1) throw new ArgumentException($"--parallel must be at least 1, got {parallel}");
        var journal = SweepJournal.Open(directory, new SweepHeader(metric.Name, metric.Maximize, axes));
        var finished = journal.Trials.ToDictionary(t => t.Trial);
        foreach (var done in finished.Values)
        {
            if (done.Trial >= trials.Count || !done.Settings.SequenceEqual(trials[done.Trial]))
                throw new InvalidDataException($"{Path.Combine(directory, SweepJournal.FileName)}: trial {done.Trial} was run with {string.Join(" ", done.Settings.Select(s => s.ToString()))}, which this config does not produce; the sweep: section changed, so use another --out folder");
        }
        foreach (var rung in journal.Rungs) pruner?.Restore(rung.Trial, rung.Epoch, rung.Value);
        var todo = Enumerable.Range(0, trials.Count).Where(i => !finished.ContainsKey(i)).ToList();
        if (finished.Count > 0) log.WriteLine($"resuming: {finished.Count} of {trials.Count} trials already finished, {todo.Count} to run");

        void RunOne(int id)
        {
            var trial = new SweepTrial(id, trials[id], Path.Combine(directory, TrialFolder(id)));
            // A folder left by a trial that was cut off is stale: the trial restarts from scratch.
            if (Directory.Exists(trial.RunDirectory)) Directory.Delete(trial.RunDirectory, recursive: true);
            // Each trial starts from the default random stream, as a fresh `sapling train` would, whatever ran before on this thread.
            Generator.Default.ManualSeed(Generator.DefaultSeed);
            double best = double.NaN;
            int bestEpoch = 0, epochs = 0;
            var clock = Stopwatch.StartNew();
            bool Report(EpochRecord record)
            {
                double value = metric.Of(record);
                epochs = record.Epoch;
                if (metric.IsBetter(value, best)) (best, bestEpoch) = (value, record.Epoch);
                if (pruner == null || !pruner.IsRung(record.Epoch)) return true;
                journal.Add(new RungRecord(id, record.Epoch, value));
                return pruner.Report(id, record.Epoch, value);
            }
            log.WriteLine($"trial {id} ({id + 1} of {trials.Count}) started: {trial.Describe()}");
            string status;
            try
            {
                status = train(trial, Report).StoppedByCaller ? TrialRecord.Pruned : TrialRecord.Complete;
            }
            catch (TrainingDivergedException)
            {
                // A trial that diverged before keeping a model is a result of the sweep (its metric stays NaN, which
                // never ranks above a finite one), not a reason to stop the others.
                status = TrialRecord.Complete;
            }
            journal.Add(new TrialRecord(id, status, trials[id], best, bestEpoch, epochs, clock.Elapsed.TotalSeconds, TrialFolder(id)));
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"trial {id} {status} after {epochs} epochs: best {metric.Name} {best:F4} (epoch {bestEpoch})  {trial.Describe()}  [{clock.Elapsed.TotalSeconds:F0} s]"));
        }

        if (parallel == 1) foreach (var id in todo) RunOne(id);
        else Parallel.ForEach(todo, new ParallelOptions { MaxDegreeOfParallelism = parallel }, RunOne);
        return journal.Trials;
    }

    /// <summary>The name of trial <paramref name="id"/>'s run folder inside the sweep folder, e.g. trial-007.</summary>
    public static string TrialFolder(int id) => $"trial-{id:D3}";
}
