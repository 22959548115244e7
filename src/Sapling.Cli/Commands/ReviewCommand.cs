using System.CommandLine;
using Sapling.Data;
using Sapling.Inference;
using Sapling.Models;
using Sapling.Models.Gpt;
using Sapling.Data.Text;
using Sapling.Training.Evaluation;
using Sapling.Training.Review;
using Sapling.Data.Vision;
using Sapling.Data.Vision.Codecs;

namespace Sapling.Cli.Commands;

/// <summary>
/// <c>sapling review create</c> samples labelled data (stratified, seeded), runs the model on the sample and writes a
/// self-contained HTML sheet for a person to judge each output; <c>sapling review summarize</c> reads the ratings the
/// sheet exports and compares them with the automatic metric, overall and per stratum.
/// </summary>
public static class ReviewCommand
{
    /// <summary>
    /// Builds the <c>sapling review</c> command and its <c>create</c> and <c>summarize</c> subcommands.
    /// </summary>
    public static Command Create()
    {
        var review = new Command("review", "Human review: sample outputs into an HTML rating sheet, then summarise the ratings");
        review.Subcommands.Add(CreateSheet());
        review.Subcommands.Add(Summarize());
        return review;
    }

    private static Command CreateSheet()
    {
        var model = new Option<string>("--model") { Description = "Model folder (classifier, GPT text classifier or language model)", Required = true };
        var data = new Option<string>("--data") { Description = "Classifiers: CSV, image folder or 'digits'; text classifiers: JSONL with text and label; language models: JSONL with prompt and response", Required = true };
        var n = new Option<int>("--n") { Description = "Items on the sheet", DefaultValueFactory = _ => 50 };
        var stratify = new Option<string>("--stratify") { Description = "label, length (input length quartiles) or none", DefaultValueFactory = _ => "label" };
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed: the same seed picks the same items", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out") { Description = "The HTML sheet to write", DefaultValueFactory = _ => "review.html" };
        var field = new Option<string>("--field") { Description = "JSONL field with the input text (text classifiers) or prompt (language models)", DefaultValueFactory = _ => "" };
        var labelField = new Option<string>("--label-field") { Description = "JSONL field with the label (text classifiers) or reference answer (language models)", DefaultValueFactory = _ => "" };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Longest generated answer (language models)", DefaultValueFactory = _ => 64 };
        var cmd = new Command("create", "Write an HTML review sheet for a stratified sample of the model's outputs") { model, data, n, stratify, seed, output, field, labelField, maxNew };
        cmd.SetAction(r => Run(r.GetValue(model)!, r.GetValue(data)!, r.GetValue(n), r.GetValue(stratify)!, r.GetValue(seed), r.GetValue(output)!,
            r.GetValue(field)!, r.GetValue(labelField)!, r.GetValue(maxNew)));
        return cmd;
    }

    private static Command Summarize()
    {
        var ratings = new Argument<string>("ratings") { Description = "The ratings JSON exported from a review sheet" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var cmd = new Command("summarize", "Reviewer verdicts against the automatic metric, overall and per stratum") { ratings, json };
        cmd.SetAction(r => ReviewReport.Print(r.GetValue(ratings)!, r.GetValue(json)));
        return cmd;
    }

    private static int Run(string modelDirectory, string dataPath, int n, string stratify, ulong seed, string output, string field, string labelField, int maxNew)
    {
        if (stratify is not ("label" or "length" or "none")) throw new ArgumentException($"--stratify must be label, length or none, got '{stratify}'");
        if (n < 1) throw new ArgumentException($"--n must be ≥ 1, got {n}");
        var (items, population) = ModelFolder.KindOf(modelDirectory) switch
        {
            ModelKind.Classifier => ClassifierItems(modelDirectory, dataPath, n, stratify, seed),
            ModelKind.TokenClassifier or ModelKind.Encoder or ModelKind.OnnxGraph => throw new NotSupportedException($"sapling review: '{modelDirectory}' holds a {ModelFolder.KindOf(modelDirectory)} model; review sheets are made for classifiers and language models"),
            ModelKind.TextClassifier => TextClassifierItems(modelDirectory, dataPath, n, stratify, seed, field.Length > 0 ? field : "text", labelField.Length > 0 ? labelField : "label"),
            _ => LanguageModelItems(modelDirectory, dataPath, n, stratify, seed, field.Length > 0 ? field : "prompt", labelField.Length > 0 ? labelField : "response", maxNew),
        };
        var info = new ReviewSheetInfo(modelDirectory, dataPath, stratify, seed, population, DateTime.UtcNow.ToString("O"));
        ReviewSheet.Write(output, info, items);
        var strata = items.GroupBy(i => i.Stratum).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}: {g.Count()}");
        Console.WriteLine($"wrote {output}: {items.Count} of {population} items ({string.Join(", ", strata)}); open it in a browser, rate each item, export the ratings, then run `sapling review summarize ratings.json`");
        return 0;
    }

    private static (List<ReviewItem>, int) ClassifierItems(string modelDirectory, string dataPath, int n, string stratify, ulong seed)
    {
        if (stratify == "length") throw new ArgumentException("--stratify length needs text inputs; use label or none for image and feature classifiers");
        var predictor = ClassifierPredictor.Load(modelDirectory);
        var config = predictor.Config;
        bool image = Directory.Exists(dataPath);
        long[] labels;
        string[]? files = null;
        CsvTable? table = null;
        if (image)
        {
            var folder = ImageFolder.Load(dataPath, config.InputShape[1], config.InputShape[2], config.InputShape[0], resizeShorterSide: config.ResizeShorterSide ?? 0);
            labels = folder.Dataset.Labels.ToArray<long>();
            files = folder.Files;
        }
        else
        {
            table = CsvTable.Read(dataPath == "digits" ? Training.Classification.ClassificationData.DefaultDigitsPath : dataPath);
            if (table.Columns != predictor.InputSize) throw new InvalidDataException($"{dataPath}: rows have {table.Columns} features, the model takes {predictor.InputSize}");
            labels = table.Labels;
        }
        var strata = labels.Select(l => stratify == "label" ? "label " + config.LabelOf((int)l) : "all").ToArray();
        var picked = StratifiedSample.Pick(strata, n, seed);
        int size = predictor.InputSize;
        Tensor inputs;
        if (image)
        {
            inputs = predictor.PrepareImages(picked.Select(i => files![i]).ToList());
        }
        else
        {
            var rows = new float[picked.Length * size];
            for (int k = 0; k < picked.Length; k++) Array.Copy(table!.Features, picked[k] * size, rows, k * size, size);
            inputs = predictor.Prepare(rows, picked.Length);
        }
        var probabilities = predictor.Probabilities(inputs).ToArray();
        int classes = config.NumClasses;
        var items = new List<ReviewItem>();
        for (int k = 0; k < picked.Length; k++)
        {
            int i = picked[k];
            var p = probabilities.AsSpan(k * classes, classes);
            int best = 0;
            for (int c = 1; c < classes; c++) if (p[c] > p[best]) best = c;
            items.Add(new ReviewItem
            {
                Id = image ? Path.GetRelativePath(dataPath, files![i]) : $"row {i + 1}",
                Stratum = strata[i],
                Pixels = !image && config.InputShape is [1, var h, var w] ? Grid(table!.Features.AsSpan(i * size, size), h, w, config.InputScale) : null,
                Text = !image && config.InputShape.Length != 3 ? string.Join(", ", table!.Features.AsSpan(i * size, size).ToArray()) : null,
                ImageDataUrl = image ? DataUrl(files![i]) : null,
                Output = config.LabelOf(best),
                Confidence = p[best],
                Reference = config.LabelOf((int)labels[i]),
                AutoCorrect = best == labels[i],
            });
        }
        return (items, labels.Length);
    }

    private static float[][] Grid(ReadOnlySpan<float> values, int height, int width, float scale)
    {
        var grid = new float[height][];
        for (int y = 0; y < height; y++)
        {
            grid[y] = new float[width];
            for (int x = 0; x < width; x++) grid[y][x] = values[y * width + x] / scale;
        }
        return grid;
    }

    private static string DataUrl(string file)
    {
        var bytes = File.ReadAllBytes(file);
        var mime = ImageDecoder.MimeType(ImageDecoder.DetectFormat(bytes));
        return $"data:{mime};base64,{Convert.ToBase64String(bytes)}";
    }

    private static (List<ReviewItem>, int) TextClassifierItems(string modelDirectory, string dataPath, int n, string stratify, ulong seed, string field, string labelField)
    {
        var classifier = TextClassifier.Load(modelDirectory);
        var (rows, skipped) = JsonlReader.Read(dataPath, row => (Text: JsonlReader.RequiredString(row, field), Label: JsonlReader.RequiredString(row, labelField)));
        if (JsonlReader.Summary(dataPath, skipped) is { } summary) Console.Error.WriteLine("warning: " + summary);
        if (rows.Count == 0) throw new InvalidDataException($"{dataPath}: no usable rows with '{field}' and '{labelField}'");
        var strata = Strata(stratify, rows.Select(r => r.Label).ToList(), rows.Select(r => r.Text.Length).ToList());
        var picked = StratifiedSample.Pick(strata, n, seed);
        var probabilities = classifier.Probabilities(picked.Select(i => classifier.Encode(rows[i].Text)).ToList());
        var items = new List<ReviewItem>();
        for (int k = 0; k < picked.Length; k++)
        {
            var p = probabilities[k];
            int best = Array.IndexOf(p, p.Max());
            var (text, label) = rows[picked[k]];
            items.Add(new ReviewItem
            {
                Id = $"line {picked[k] + 1}", Stratum = strata[picked[k]], Text = text, Output = classifier.Labels[best], Confidence = p[best],
                Reference = label, AutoCorrect = classifier.Labels[best] == label,
            });
        }
        return (items, rows.Count);
    }

    private static (List<ReviewItem>, int) LanguageModelItems(string modelDirectory, string dataPath, int n, string stratify, ulong seed, string field, string referenceField, int maxNew)
    {
        if (stratify == "label") throw new ArgumentException("--stratify label needs labelled classes; use length or none for a language model");
        var model = GptFolder.Load(modelDirectory);
        var tokenizer = Tokenizers.Load(Path.Combine(modelDirectory, "tokenizer.json"));
        var declared = ChatTemplate.Load(modelDirectory);
        var chat = declared != null && declared.HasSpecialTokens(tokenizer) ? declared : null;
        var (rows, skipped) = JsonlReader.Read(dataPath, row => (Prompt: JsonlReader.RequiredString(row, field),
            Reference: row.TryGetProperty(referenceField, out var r) && r.ValueKind == System.Text.Json.JsonValueKind.String ? r.GetString() : null));
        if (JsonlReader.Summary(dataPath, skipped) is { } summary) Console.Error.WriteLine("warning: " + summary);
        if (rows.Count == 0) throw new InvalidDataException($"{dataPath}: no usable rows with '{field}'");
        var strata = Strata(stratify, null, rows.Select(r => r.Prompt.Length).ToList());
        var picked = StratifiedSample.Pick(strata, n, seed);
        var stops = chat?.StopIds(tokenizer) ?? [tokenizer.EndOfTextId];
        var items = new List<ReviewItem>();
        foreach (int i in picked)
        {
            var (prompt, reference) = rows[i];
            var ids = tokenizer.Encode(chat != null ? chat.Render([new ChatMessage("user", prompt)], addGenerationPrompt: true) : prompt);
            int room = model.Config.NPositions - model.VirtualTokens;
            if (ids.Length >= room) ids = ids[^(room / 2)..];
            var answerIds = TextGenerator.Generate(model, ids.Length == 0 ? [tokenizer.EndOfTextId] : ids,
                new SamplingOptions { MaxNewTokens = Math.Min(maxNew, room - ids.Length), Temperature = 0, StopIds = stops });
            var answer = tokenizer.Decode(answerIds.Where(t => !stops.Contains(t)), skipSpecial: true);
            items.Add(new ReviewItem
            {
                Id = $"line {i + 1}", Stratum = strata[i], Text = prompt, Output = answer, Reference = reference,
                AutoCorrect = reference == null ? null : ExactMatch.Matches([reference], answer, TextNormalization.Trim | TextNormalization.CollapseWhitespace),
                AutoScore = reference == null ? null : ChrF.Sentence(reference, answer),
            });
        }
        return (items, rows.Count);
    }

    private static string[] Strata(string stratify, IReadOnlyList<string>? labels, IReadOnlyList<int> lengths) => stratify switch
    {
        "label" => labels!.Select(l => "label " + l).ToArray(),
        "length" => StratifiedSample.ByLength(lengths),
        _ => Enumerable.Repeat("all", lengths.Count).ToArray(),
    };
}
