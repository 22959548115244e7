using System.CommandLine;
using Sapling.Data;
using Sapling.Evaluation;
using Sapling.Inference;
using Sapling.Training.Plots;
using Sapling.Vision;

namespace Sapling.Cli.Commands;

/// <summary><c>sapling eval --model DIR --data (FILE.csv | IMAGE_ROOT | digits) [--json]</c></summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder (config.json + model.safetensors)", Required = true };
        var data = new Option<string>("--data") { Description = "Labelled data: a CSV whose last column is the label, an image folder root/<class>/<file>, or 'digits' for the embedded set", Required = true };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };
        var context = new Option<int?>("--context") { Description = "Language models: window length (default: the model's n_positions)" };
        var tokenDType = new Option<string?>("--token-dtype") { Description = "Language models: width of a .bin token file, uint16 or uint32 (default: tokens.json beside it, else uint16)" };
        var adapter = new Option<string?>("--adapter") { Description = "Language models: a LoRA or prompt-tuning adapter folder (PEFT format) to apply" };
        var field = new Option<string>("--field") { Description = "Text classifiers: the JSONL field holding the text", DefaultValueFactory = _ => "text" };
        var labelField = new Option<string>("--label-field") { Description = "Text classifiers: the JSONL field holding the label", DefaultValueFactory = _ => "label" };
        var stripHeaders = new Option<bool>("--strip-headers") { Description = "Text classifiers: drop e-mail headers (keeping the Subject line), as in training" };
        var cmd = new Command("eval", "Classifiers: accuracy, P/R/F1 and confusion matrix on labelled data (CSV, image folder, or JSONL text for GPT classifiers). Language models: loss and perplexity on text or a .bin token file") { model, data, json, context, tokenDType, adapter, field, labelField, stripHeaders };
        cmd.SetAction(r =>
        {
            var configPath = Path.Combine(r.GetValue(model)!, "config.json");
            if (File.Exists(configPath) && File.ReadAllText(configPath).Contains("GPT2ForSequenceClassification", StringComparison.Ordinal))
                return TextClassifierEval.Run(r.GetValue(model)!, r.GetValue(data)!, r.GetValue(field)!, r.GetValue(labelField)!, r.GetValue(stripHeaders), r.GetValue(json));
            return Run(r.GetValue(model)!, r.GetValue(adapter), r.GetValue(data)!, r.GetValue(json), r.GetValue(context),
                r.GetValue(tokenDType) is { } width ? Training.TokenFile.Parse(width) : null);
        });
        return cmd;
    }

    private static int Run(string modelDirectory, string? adapterDirectory, string dataPath, bool json, int? context, Training.TokenWidth? tokenWidth)
    {
        var configPath = Path.Combine(modelDirectory, "config.json");
        if (File.Exists(configPath) && File.ReadAllText(configPath).Contains("\"gpt2\"", StringComparison.Ordinal))
            return LanguageModelEval.Run(modelDirectory, adapterDirectory, dataPath, json, context, tokenWidth);
        if (adapterDirectory != null) throw new ArgumentException("--adapter applies to language models; this folder holds a classifier");
        var predictor = ClassifierPredictor.Load(modelDirectory);
        var config = predictor.Config;
        Tensor inputs;
        long[] labels;
        if (Directory.Exists(dataPath))
        {
            var folder = ImageFolder.Load(dataPath, config.InputShape[1], config.InputShape[2], config.InputShape[0]);
            inputs = config.Normalization is { } n ? new Normalizer(n.Mean, n.Std).Apply(folder.Dataset.Inputs) : folder.Dataset.Inputs;
            labels = folder.Dataset.Labels;
        }
        else
        {
            var table = CsvTable.Read(dataPath == "digits" ? Training.ClassificationData.DefaultDigitsPath : dataPath);
            if (table.Columns != predictor.InputSize)
                throw new InvalidDataException($"{dataPath}: rows have {table.Columns} features, the model takes {predictor.InputSize}");
            inputs = predictor.Prepare(table.Features, table.Rows);
            labels = table.Labels;
        }
        var names = Enumerable.Range(0, config.NumClasses).Select(config.LabelOf).ToArray();
        var probabilities = predictor.Probabilities(inputs);
        var predicted = probabilities.ArgMax(-1).ToArray<long>();
        return ClassificationOutput.Print(labels, predicted, names, json);
    }
}
