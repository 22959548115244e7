using System.CommandLine;
using Sapling.Data;
using Sapling.IO;
using Sapling.Inference;
using Sapling.Data.Vision;

namespace Sapling.Cli.Commands;

/// <summary>
/// <c>sapling eval --model DIR --data (FILE.csv | IMAGE_ROOT | digits) [--json]</c>, or, scoring generated text
/// against references without a model, <c>sapling eval --metric bleu|chrf|rouge-l|exact-match --hypotheses FILE
/// --references FILE...</c>; <c>--metric perplexity</c> names the language-model form of the first.
/// </summary>
public static class EvalCommand
{
    /// <summary>Builds the <c>sapling eval</c> command with its options and action.</summary>
    public static Command Create()
    {
        // Not Required: the text metrics need neither, so the action checks them and says which form it expected.
        var model = new Option<string?>("--model") { Description = "Model folder (config.json + model.safetensors)" };
        var data = new Option<string?>("--data") { Description = "Labelled data: a CSV whose last column is the label, an image folder root/<class>/<file>, or 'digits' for the embedded set" };
        var metric = new Option<string?>("--metric") { Description = "Score generated text instead: bleu, chrf, rouge-l or exact-match (with --hypotheses and --references), or perplexity (with --model and --data)" };
        var hypotheses = new Option<string?>("--hypotheses") { Description = "Text metrics: generated text, one example per line" };
        var references = new Option<string[]>("--references") { Description = "Text metrics: reference text, line i for example i; repeat for several references per example", AllowMultipleArgumentsPerToken = false };
        var tokenize = new Option<string>("--tokenize") { Description = "BLEU and ROUGE-L tokens: auto (CJK characters alone, other words whole), char (every character) or whitespace", DefaultValueFactory = _ => "auto" };
        var smoothing = new Option<string>("--smoothing") { Description = "BLEU smoothing: none, epsilon, add-one, nist, chen-cherry4 (NLTK's method0..method4)", DefaultValueFactory = _ => "none" };
        var normalize = new Option<string>("--normalize") { Description = "Exact match: none, all, or a comma-separated list of trim, whitespace, case", DefaultValueFactory = _ => "trim" };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };
        var context = new Option<int?>("--context") { Description = "Language models: window length (default: the model's n_positions)" };
        var tokenDType = new Option<string?>("--token-dtype") { Description = "Language models: width of a .bin token file, uint16 or uint32 (default: tokens.json beside it, else uint16)" };
        var adapter = new Option<string?>("--adapter") { Description = "Language models: a LoRA or prompt-tuning adapter folder (PEFT format) to apply" };
        var field = new Option<string>("--field") { Description = "Text classifiers: the JSONL field holding the text", DefaultValueFactory = _ => "text" };
        var labelField = new Option<string>("--label-field") { Description = "Text classifiers: the JSONL field holding the label", DefaultValueFactory = _ => "label" };
        var stripHeaders = new Option<bool>("--strip-headers") { Description = "Text classifiers: drop e-mail headers (keeping the Subject line), as in training" };
        var cmd = new Command("eval", "Classifiers: accuracy, P/R/F1 and confusion matrix on labelled data (CSV, image folder, or JSONL text for GPT classifiers). Language models: loss and perplexity on text or a .bin token file. Generated text: BLEU, chrF, ROUGE-L or exact match against reference files (--metric)") { model, data, json, context, tokenDType, adapter, field, labelField, stripHeaders, metric, hypotheses, references, tokenize, smoothing, normalize };
        cmd.SetAction(r =>
        {
            var metricName = r.GetValue(metric)?.ToLowerInvariant();
            if (metricName != null && metricName != "perplexity")
            {
                if (!GenerationMetricEval.Metrics.Contains(metricName)) throw new ArgumentException(GenerationMetricEval.UnknownMetric(metricName));
                if (r.GetValue(model) != null || r.GetValue(data) != null)
                    throw new ArgumentException($"--metric {metricName} scores --hypotheses against --references; --model and --data do not apply (use --metric perplexity or no --metric to evaluate a model)");
                return GenerationMetricEval.Run(metricName, r.GetValue(hypotheses), r.GetValue(references) ?? [], r.GetValue(tokenize)!, r.GetValue(smoothing)!, r.GetValue(normalize)!, r.GetValue(json));
            }
            string[] missing = [.. new[] { ("--model", r.GetValue(model)), ("--data", r.GetValue(data)) }.Where(o => o.Item2 == null).Select(o => o.Item1)];
            if (missing.Length > 0)
                throw new ArgumentException(metricName == "perplexity"
                    ? $"--metric perplexity needs --model DIR (a language model) and --data (text or a .bin token file); missing {string.Join(" and ", missing)}"
                    : $"eval needs --model DIR and --data PATH to evaluate a model (missing {string.Join(" and ", missing)}); to score generated text without a model use --metric {string.Join("|", GenerationMetricEval.Metrics)} --hypotheses FILE --references FILE");
            if (r.GetValue(hypotheses) != null || (r.GetValue(references)?.Length ?? 0) > 0)
                throw new ArgumentException("--hypotheses and --references go with --metric bleu|chrf|rouge-l|exact-match");
            var configPath = Path.Combine(r.GetValue(model)!, "config.json");
            Models.ModelKind? kind = File.Exists(configPath) || Models.Gguf.GgufModel.IsGgufPath(r.GetValue(model)!) ? Models.ModelFolder.KindOf(r.GetValue(model)!) : null;
            // Without this check a classifier folder would silently get a classification report instead.
            if (metricName == "perplexity" && kind != Models.ModelKind.LanguageModel)
                throw new ArgumentException($"--metric perplexity needs a language model; {configPath} does not describe a GPT-2-style language model");
            if (kind != Models.ModelKind.LanguageModel && r.GetValue(adapter) != null)
                throw new ArgumentException("--adapter applies to language models; this folder holds a classifier");
            return kind switch
            {
                // A token classifier reads words and tags (JSONL fields tokens/tags unless --field/--label-field name others).
                Models.ModelKind.TokenClassifier => TokenClassifierEval.Run(r.GetValue(model)!, r.GetValue(data)!, r.GetValue(field) is "text" ? "tokens" : r.GetValue(field)!, r.GetValue(labelField) is "label" ? "tags" : r.GetValue(labelField)!, r.GetValue(json)),
                Models.ModelKind.Seq2SeqLM => throw new NotSupportedException($"sapling eval: '{r.GetValue(model)}' holds a {Models.ModelRegistry.ModelTypeOf(r.GetValue(model)!)} encoder-decoder; translate the sources (sapling translate --model DIR --input SOURCES --out OUT) and score the output with sapling eval --metric bleu|chrf --hypotheses OUT --references REFERENCES"),
                Models.ModelKind.Encoder or Models.ModelKind.OnnxGraph => throw new NotSupportedException($"sapling eval: '{r.GetValue(model)}' holds a {kind} model without a task head; eval scores classifiers, token classifiers and language models"),
                Models.ModelKind.TextClassifier => TextClassifierEval.Run(r.GetValue(model)!, r.GetValue(data)!, r.GetValue(field)!, r.GetValue(labelField)!, r.GetValue(stripHeaders), r.GetValue(json)),
                Models.ModelKind.LanguageModel => LanguageModelEval.Run(r.GetValue(model)!, r.GetValue(adapter), r.GetValue(data)!, r.GetValue(json), r.GetValue(context),
                    r.GetValue(tokenDType) is { } width ? TokenFile.Parse(width) : null),
                _ => Run(r.GetValue(model)!, r.GetValue(data)!, r.GetValue(json)),
            };
        });
        return cmd;
    }

    private static int Run(string modelDirectory, string dataPath, bool json)
    {
        var predictor = ClassifierPredictor.Load(modelDirectory);
        var config = predictor.Config;
        Tensor inputs;
        long[] labels;
        if (Directory.Exists(dataPath))
        {
            var folder = ImageFolder.Load(dataPath, config.InputShape[1], config.InputShape[2], config.InputShape[0], resizeShorterSide: config.ResizeShorterSide ?? 0);
            inputs = config.Normalization is { } n ? new Normalizer(n.Mean, n.Std).Apply(folder.Dataset.Inputs) : folder.Dataset.Inputs;
            labels = folder.Dataset.Labels;
        }
        else
        {
            var table = CsvTable.Read(dataPath == "digits" ? Training.Classification.ClassificationData.DefaultDigitsPath : dataPath);
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
