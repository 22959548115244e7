using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Sapling.Inference;
using Sapling.Data.Vision.Codecs;

namespace Sapling.Cli.Commands;

/// <summary><c>sapling predict --model DIR (FILE.csv | images...) [--top-k 3] [--json]</c></summary>
public static class PredictCommand
{

    /// <summary>Builds the <c>sapling predict</c> command with its options and action.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder (config.json + model.safetensors)", Required = true };
        var inputs = new Argument<string[]>("inputs") { Description = "A CSV of feature rows (a trailing label column is ignored) or image files", Arity = ArgumentArity.OneOrMore };
        var topK = new Option<int>("--top-k") { Description = "How many classes to list per input", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print JSON: one array of {label, prob} per input" };
        var maxPixels = new Option<long>("--max-image-pixels") { Description = "Largest image (width × height) that is decoded", DefaultValueFactory = _ => Data.Vision.Codecs.ImageDecoder.MaxPixels };
        var cmd = new Command("predict", "Classify inputs with a trained model: softmax probabilities and the top classes") { model, inputs, topK, json, maxPixels };
        cmd.SetAction(r => Run(r.GetValue(model)!, r.GetValue(inputs)!, r.GetValue(topK), r.GetValue(json), r.GetValue(maxPixels)));
        return cmd;
    }

    private static int Run(string modelDirectory, string[] inputs, int topK, bool json, long maxImagePixels)
    {
        var predictor = ClassifierPredictor.Load(modelDirectory);
        predictor.MaxImagePixels = maxImagePixels;
        var names = new List<string>();
        Tensor batch;
        if (inputs.All(f => ImageDecoder.FileExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())))
        {
            batch = predictor.PrepareImages(inputs);
            names.AddRange(inputs);
        }
        else if (inputs.Length == 1)
        {
            var rows = ReadRows(inputs[0], predictor.InputSize);
            batch = predictor.Prepare(rows.SelectMany(r => r).ToArray(), rows.Count);
            names.AddRange(Enumerable.Range(1, rows.Count).Select(i => $"{inputs[0]}:{i}"));
        }
        else
        {
            throw new ArgumentException($"predict takes one CSV file or any number of image files ({string.Join(", ", ImageDecoder.FileExtensions)})");
        }
        var predictions = predictor.TopK(batch, topK);
        if (json)
        {
            var shaped = predictions.Select(p => p.Select(c => new Dictionary<string, object> { ["label"] = c.Label, ["prob"] = Math.Round(c.Probability, 6) }).ToArray());
            Console.WriteLine(JsonSerializer.Serialize(shaped, Training.Runs.JsonNumbers.Options));
            return 0;
        }
        for (int i = 0; i < predictions.Count; i++)
            Console.WriteLine($"{names[i]}: " + string.Join("  ", predictions[i].Select(c => $"{c.Label} ({c.Probability:P1})")));
        return 0;
    }

    /// <summary>Rows of exactly the model's input size, or one more (a label column, ignored).</summary>
    private static List<float[]> ReadRows(string path, int inputSize)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"input file '{path}' not found", path);
        var rows = new List<float[]>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string[] cells;
            try
            {
                cells = Sapling.Data.CsvLine.Split(line);
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"{path}, line {lineNumber}: {e.Message}");
            }
            if (cells.Length != inputSize && cells.Length != inputSize + 1)
                throw new InvalidDataException($"{path}, line {lineNumber}: the model takes {inputSize} values per row (optionally plus a label), found {cells.Length}");
            var row = new float[inputSize];
            for (int k = 0; k < inputSize; k++)
                if (!float.TryParse(cells[k], NumberStyles.Float, CultureInfo.InvariantCulture, out row[k]))
                    throw new InvalidDataException($"{path}, line {lineNumber}, column {k + 1}: '{cells[k]}' is not a number");
            rows.Add(row);
        }
        if (rows.Count == 0) throw new InvalidDataException($"{path}: no rows to classify");
        return rows;
    }
}
