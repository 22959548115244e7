using System.CommandLine;
using System.Globalization;
using Sapling.Cli.Config;
using Sapling.Cli.Progress;
using Sapling.Data;
using Sapling.Inference;
using Sapling.Training.Classification;
using Sapling.Training.Progress;

namespace Sapling.Cli.Commands;

/// <summary>
/// <c>sapling demo</c>: the main job on the embedded digits. It trains the CNN of configs/digits-cnn.yaml, shows the
/// held-out test report and confusion matrix, then classifies a few test images with the saved model, printing the
/// equivalent <c>sapling train|eval|predict</c> commands as it goes.
/// </summary>
public static class DemoCommand
{
    /// <summary>Builds the <c>sapling demo</c> command with its options and action.</summary>
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Run folder", DefaultValueFactory = _ => Path.Combine("runs", "digits-cnn") };
        var plain = new Option<bool>("--plain") { Description = "Print one line per epoch instead of live progress bars" };
        var cmd = new Command("demo", "Train a CNN on the embedded digits, evaluate it on held-out data and predict with it") { output, plain };
        cmd.SetAction(r => Run(r.GetValue(output)!, r.GetValue(plain)));
        return cmd;
    }

    private static int Run(string runDirectory, bool plain)
    {
        string configPath = Path.Combine(AppContext.BaseDirectory, "configs", "digits-cnn.yaml");
        var tree = ConfigTree.Load(configPath);
        using var names = OptionNames.Use(tree.OptionName);
        var (data, model, train) = ClassificationConfig.Bind(tree);
        Console.WriteLine($"$ sapling train configs/digits-cnn.yaml --out {runDirectory}");
        var trainer = (IProgressReporter reporter) => new ClassificationTrainer(model, data, train, reporter).Run(runDirectory, null, tree.ToYaml());
        var result = !plain && SpectreProgress.IsInteractive ? SpectreProgress.Create().Run(trainer) : trainer(new ConsoleProgress());

        Console.WriteLine();
        Console.WriteLine($"held-out test set ({result.Test.Support} digits never seen in training):");
        Console.WriteLine(File.ReadAllText(Path.Combine(result.RunDirectory, "classification_report.txt")));

        // A few raw test rows, saved so the printed predict command can be rerun as it is.
        var loaded = ClassificationData.Load(data);
        var table = CsvTable.Read(ClassificationData.DefaultDigitsPath);
        var samplePath = Path.Combine(result.RunDirectory, "sample-digits.csv");
        var rows = loaded.TestRows.Take(5).ToArray();
        File.WriteAllLines(samplePath, rows.Select(r => string.Join(",", table.Features.Skip((int)r * table.Columns).Take(table.Columns).Select(v => v.ToString(CultureInfo.InvariantCulture))) + "," + table.Labels[r]));
        Console.WriteLine($"$ sapling predict --model {result.ModelDirectory} {samplePath} --top-k 3");
        var predictor = ClassifierPredictor.Load(result.ModelDirectory);
        var inputs = predictor.Prepare(rows.SelectMany(r => table.Features.Skip((int)r * table.Columns).Take(table.Columns)).ToArray(), rows.Length);
        var predictions = predictor.TopK(inputs, 3);
        for (int i = 0; i < rows.Length; i++)
        {
            Console.WriteLine($"  true {table.Labels[rows[i]]}:  " + string.Join("  ", predictions[i].Select(p => $"{p.Label} ({p.Probability:P1})")));
            Console.WriteLine(Ascii(table.Features.AsSpan((int)rows[i] * table.Columns, table.Columns)));
        }
        Console.WriteLine($"next: sapling eval --model {result.ModelDirectory} --data <labelled CSV or image folder>; curves in {Path.Combine(result.RunDirectory, "curves.svg")}");
        return 0;
    }

    /// <summary>An 8×8 digit drawn with shading characters, so the prediction can be checked by eye.</summary>
    private static string Ascii(ReadOnlySpan<float> pixels)
    {
        const string shades = " .:-=+*#%@";
        var sb = new System.Text.StringBuilder();
        for (int y = 0; y < 8; y++)
        {
            sb.Append("      ");
            for (int x = 0; x < 8; x++)
            {
                char c = shades[(int)Math.Clamp(pixels[y * 8 + x] / 16f * (shades.Length - 1), 0, shades.Length - 1)];
                sb.Append(c).Append(c);
            }
            if (y < 7) sb.Append('\n');
        }
        return sb.ToString();
    }
}
