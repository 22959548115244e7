using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Sapling.Cli.Config;
using Sapling.Inference;
using Sapling.Training.ActiveLearning;

namespace Sapling.Cli.Commands;

/// <summary>
/// Labelling help by active learning: <c>sapling label suggest</c> ranks unlabelled items by model uncertainty,
/// <c>sapling label merge</c> folds the labels back into a training CSV, and <c>sapling label simulate</c> measures
/// the strategies against each other with the digits' own labels as the oracle.
/// </summary>
public static class LabelCommand
{
    private const int BatchRows = 512;

    /// <summary>Builds the <c>sapling label</c> command and its subcommands.</summary>
    public static Command Create()
    {
        var cmd = new Command("label", "Pick the unlabelled items most worth labelling, and fold new labels into a training set");
        cmd.Subcommands.Add(Suggest());
        cmd.Subcommands.Add(Merge());
        cmd.Subcommands.Add(Simulate());
        return cmd;
    }

    private static Command Suggest()
    {
        var model = new Option<string>("--model") { Description = "Classifier folder (a run's model/)", Required = true };
        var pool = new Option<string>("--pool") { Description = "Unlabelled CSV in the training layout, label column empty or absent", Required = true };
        var count = new Option<int>("--n") { Description = "How many items to suggest", DefaultValueFactory = _ => 100 };
        var strategy = new Option<string>("--strategy") { Description = "entropy, margin or random", DefaultValueFactory = _ => "entropy" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the random strategy" };
        var output = new Option<string>("--out") { Description = "CSV to write for the labeller", Required = true };
        var cmd = new Command("suggest", "Rank unlabelled items by the model's uncertainty and write the top ones, with score and guess, for labelling") { model, pool, count, strategy, seed, output };
        cmd.SetAction(r =>
        {
            var acquisition = AcquisitionStrategies.Parse(r.GetValue(strategy)!);
            if (r.GetValue(count) < 1) throw new ArgumentException($"--n must be at least 1, got {r.GetValue(count)}");
            var predictor = ClassifierPredictor.Load(r.GetValue(model)!);
            var items = UnlabelledPool.Read(r.GetValue(pool)!, predictor.InputSize);
            int classes = predictor.Config.NumClasses;
            var probabilities = new float[items.Rows * classes];
            for (int start = 0; start < items.Rows; start += BatchRows)
            {
                int rows = Math.Min(BatchRows, items.Rows - start);
                var batch = predictor.Prepare(items.Features.AsSpan(start * predictor.InputSize, rows * predictor.InputSize).ToArray(), rows);
                predictor.Probabilities(batch).ToArray().CopyTo(probabilities, start * classes);
            }
            var scores = UncertaintySampling.Scores(probabilities, classes, acquisition, r.GetValue(seed));
            var chosen = UncertaintySampling.Rank(scores, acquisition).Take(r.GetValue(count)).ToList();
            var suggestions = chosen.Select(i => new Suggestion(i, scores[i], predictor.Config.LabelOf(ArgMax(probabilities.AsSpan(i * classes, classes))),
                items.Features.AsSpan(i * predictor.InputSize, predictor.InputSize).ToArray())).ToList();
            SuggestionFile.Write(r.GetValue(output)!, suggestions, items.FeatureNames);
            Console.WriteLine($"wrote {suggestions.Count} of {items.Rows} items ranked by {acquisition.Name()} to {r.GetValue(output)}; fill in the label column, then: sapling label merge --train TRAIN.csv --labels {r.GetValue(output)} --out MERGED.csv");
            return 0;
        });
        return cmd;
    }

    private static Command Merge()
    {
        var train = new Option<string>("--train") { Description = "Training CSV (features, then the label)", Required = true };
        var labels = new Option<string>("--labels") { Description = "The suggestion CSV with its label column filled in", Required = true };
        var output = new Option<string>("--out") { Description = "Merged training CSV to write", Required = true };
        var cmd = new Command("merge", "Add newly labelled items to a training CSV, refusing unknown labels and missing ids") { train, labels, output };
        cmd.SetAction(r =>
        {
            var summary = LabelMerge.Merge(r.GetValue(train)!, r.GetValue(labels)!, r.GetValue(output)!);
            foreach (var duplicate in summary.Duplicates) Console.WriteLine($"duplicate: {duplicate}");
            Console.WriteLine($"added {summary.Added} labelled rows ({summary.Unlabelled} still unlabelled, {summary.Duplicates.Count} duplicates) to {r.GetValue(output)}");
            return 0;
        });
        return cmd;
    }

    private static Command Simulate()
    {
        var config = new Argument<string>("config") { Description = "Classification config for each round's training (see configs/digits-active-learning.yaml)" };
        var output = new Option<string>("--out") { Description = "Folder for the rounds' run folders, curves and table", DefaultValueFactory = _ => Path.Combine("runs", "active-learning") };
        var seeds = new Option<string>("--seeds") { Description = "Comma-separated seeds; medians are taken over them", DefaultValueFactory = _ => "0,1,2" };
        var initial = new Option<int>("--initial") { Description = "Random labelled examples to start from", DefaultValueFactory = _ => 50 };
        var batch = new Option<int>("--batch") { Description = "Labels added per round", DefaultValueFactory = _ => 50 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds of suggest, label, retrain", DefaultValueFactory = _ => 10 };
        var strategies = new Option<string>("--strategies") { Description = "Comma-separated strategies to compare", DefaultValueFactory = _ => "entropy,margin,random" };
        var cmd = new Command("simulate", "Compare labelling strategies with a simulated oracle: retrain per round, measure test accuracy, draw learning curves") { config, output, seeds, initial, batch, rounds, strategies };
        cmd.SetAction(r =>
        {
            var tree = ConfigTree.Load(r.GetValue(config)!);
            using var names = OptionNames.Use(tree.OptionName);
            var (data, model, train) = ClassificationConfig.Bind(tree);
            var options = new SimulationOptions
            {
                Initial = r.GetValue(initial), Batch = r.GetValue(batch), Rounds = r.GetValue(rounds),
                Seeds = List(r.GetValue(seeds)!, "--seeds", s => ulong.Parse(s, CultureInfo.InvariantCulture)),
                Strategies = List(r.GetValue(strategies)!, "--strategies", AcquisitionStrategies.Parse),
            };
            string directory = r.GetValue(output)!;
            Directory.CreateDirectory(directory);
            var clock = Stopwatch.StartNew();
            var points = new ActiveLearningSimulation(model, data, train, options, Console.Out).Run(directory);
            LearningCurves.Save(points, Path.Combine(directory, "learning-curves.jsonl"));
            LearningCurves.Plot(points, Path.Combine(directory, "learning-curves.svg"));
            var table = LearningCurves.Table(points);
            Sapling.IO.AtomicFile.WriteAllText(Path.Combine(directory, "learning-curves.md"), table);
            Console.Write(table);
            Console.WriteLine($"{points.Count} trainings in {clock.Elapsed.TotalMinutes:F1} min; learning-curves.svg, learning-curves.md and learning-curves.jsonl in {Path.GetFullPath(directory)}");
            return 0;
        });
        return cmd;
    }

    private static IReadOnlyList<T> List<T>(string text, string option, Func<string, T> parse)
    {
        var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length == 0) throw new ArgumentException($"{option} needs at least one value");
        try
        {
            return items.Select(parse).ToList();
        }
        catch (FormatException)
        {
            throw new ArgumentException($"{option}: '{text}' is not a comma-separated list of the expected values");
        }
    }

    private static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }
}
