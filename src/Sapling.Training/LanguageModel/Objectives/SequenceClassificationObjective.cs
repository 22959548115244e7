using Sapling.Data;
using Sapling.Training.Evaluation;
using Sapling.Models;
using Sapling.Models.Gpt;
using Sapling.Data.Text;
using Sapling.Training.Plots;
using Sapling.Training.Runs;

namespace Sapling.Training.LanguageModel.Objectives;

/// <summary>
/// Sequence classification with any pretrained body and a classification head (<see cref="ISequenceClassifier"/>: GPT-2's
/// "score" on a pooled hidden state, BERT's "classifier" on the pooled [CLS]): each text's first <c>context</c> tokens, as
/// the family reads text, go through the model, cross-entropy against the label. The data is split stratified into
/// train / validation / test by a seed; validation picks the best step, the test split is scored once at the end with
/// the same metric code as the image classifiers (per-class precision, recall, F1 and a confusion matrix).
/// </summary>
public sealed class SequenceClassificationObjective : ILmObjective
{
    private readonly LmOptions options;
    private readonly int padId;
    private readonly (int[] Ids, long Label)[] train, validation, test;
    private readonly IReadOnlyList<LabelledText> rows;
    private readonly long[] testRows;

    /// <summary>The labels of the data in ordinal order: the class ids the new head is given.</summary>
    public static string[] ClassNamesOf(IReadOnlyList<LabelledText> rows)
    {
        var names = rows.Select(r => r.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (names.Length < 2) throw new InvalidDataException($"classification needs at least 2 labels, the data has {names.Length}");
        return names;
    }

    /// <param name="model">The classifier being trained: it says how a text becomes ids and which id pads.</param>
    public SequenceClassificationObjective(IReadOnlyList<LabelledText> rows, ISequenceClassifier model, ITokenizer tokenizer, LmOptions options)
    {
        this.options = options;
        this.rows = rows;
        padId = model.PadId(tokenizer);
        ClassNames = model.Labels;
        if (!ClassNamesOf(rows).SequenceEqual(ClassNames, StringComparer.Ordinal))
            throw new InvalidDataException($"the data's labels ({string.Join(", ", ClassNamesOf(rows))}) are not the model's ({string.Join(", ", ClassNames)})");
        var labelIds = ClassNames.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => (long)p.i);
        var labels = rows.Select(r => labelIds[r.Label]).ToArray();
        double trainFraction = 1 - options.ValidationFraction - options.TestFraction;
        var parts = Splits.Stratified(labels, [trainFraction, options.ValidationFraction, options.TestFraction], options.SplitSeed);
        (int[], long) Encode(long i) => (model.Encode(tokenizer, rows[(int)i].Text, options.Context), labels[i]);
        train = parts[0].Select(Encode).ToArray();
        validation = parts[1].Select(Encode).ToArray();
        test = parts[2].Select(Encode).ToArray();
        testRows = parts[2].ToArray();
        if (train.Length == 0 || validation.Length == 0 || test.Length == 0)
            throw new InvalidDataException($"{rows.Count} texts leave an empty train, validation or test split");
        PositiveClass = options.PositiveLabel is { } positive ? Array.IndexOf(ClassNames, positive) : -1;
        if (options.PositiveLabel != null && PositiveClass < 0)
            throw new ArgumentException($"{OptionNames.Of(nameof(LmOptions.PositiveLabel))} '{options.PositiveLabel}' is not one of the labels: {string.Join(", ", ClassNames)}");
    }

    /// <summary>The class names, in the order of the model's label ids.</summary>
    public string[] ClassNames { get; }

    /// <summary>The class whose F1 is reported on its own (e.g. spam), or -1.</summary>
    public int PositiveClass { get; }

    /// <inheritdoc/>
    public double? BaselineLoss => null;

    /// <inheritdoc/>
    public bool LossIsPerplexity => false;

    /// <inheritdoc/>
    public bool WritesText => false;

    /// <inheritdoc/>
    public (Tensor Loss, long Tokens) TrainingLoss(ITrainableModel trainable, long step)
    {
        var model = trainable.AsSequenceClassifier();
        var g = new Generator(options.Seed * 0x9E3779B97F4A7C15UL ^ (ulong)step);
        var batch = new (int[], long)[Math.Min(options.BatchSize, train.Length)];
        for (int i = 0; i < batch.Length; i++) batch[i] = train[g.NextInt64(0, train.Length)];
        var (ids, lengths, targets) = Batch(batch);
        long tokens = lengths.Sum(n => (long)n);
        // Without a row of two tokens there is no next token to predict (the mean over no targets would be NaN).
        if (options.ClassifyLmWeight == 0 || lengths.Max() < 2) return (Tensor.CrossEntropy(model.Classify(ids, lengths), targets), tokens);
        // The auxiliary next-token loss (GPT's fine-tuning recipe) needs the decoder's output layer.
        var gpt = model as GptModel ?? throw new NotSupportedException($"{OptionNames.Of(nameof(LmOptions.ClassifyLmWeight))} adds a next-token loss, which a {model.ModelType} classifier has no output layer for; set it to 0");
        var hidden = gpt.HiddenStates(ids);
        var classLoss = Tensor.CrossEntropy(gpt.ClassifyHidden(hidden, lengths, gpt.Config.ClassifierPooling == "mean"), targets);
        return (classLoss.Add(NextTokenLoss(gpt, hidden, ids, lengths).Mul(options.ClassifyLmWeight)), tokens);
    }

    /// <summary>Mean next-token cross-entropy over the real tokens of right-padded rows (padding is never a target).</summary>
    internal static Tensor NextTokenLoss(GptModel model, Tensor hidden, Tensor ids, int[] lengths)
    {
        int b = ids.Shape[0], t = ids.Shape[1];
        var source = ids.ToArray<long>();
        var targets = new long[b * (t - 1)];
        for (int r = 0; r < b; r++)
            for (int i = 0; i < t - 1; i++) targets[r * (t - 1) + i] = i + 1 < lengths[r] ? source[r * t + i + 1] : -100;
        var logits = model.OutputHead(hidden.Narrow(1, 0, t - 1));
        return Tensor.CrossEntropy(logits.Reshape(b * (t - 1), logits.Shape[2]), Tensor.FromArray(targets, b * (t - 1)));
    }

    /// <inheritdoc/>
    public LmValidation Validate(ITrainableModel trainable)
    {
        var model = trainable.AsSequenceClassifier();
        var (loss, predicted) = Predict(model, validation);
        var report = ClassificationReport.Create<long>(validation.Select(e => e.Label).ToArray(), predicted, ClassNames.Length, ClassNames);
        var metrics = new Dictionary<string, double> { ["val_accuracy"] = report.Accuracy, ["val_macro_f1"] = report.MacroF1 };
        if (PositiveClass >= 0) metrics[$"val_f1_{ClassNames[PositiveClass]}"] = report.PerClass[PositiveClass].F1;
        return new LmValidation(loss, metrics);
    }

    /// <summary>Scores the test split: classification_report.txt, confusion_matrix.svg and results["test"].</summary>
    public void Report(ITrainableModel trainable, RunFolder run, IDictionary<string, object?> results)
    {
        var model = trainable.AsSequenceClassifier();
        var (loss, predicted) = Predict(model, test);
        WritePredictions(run.PredictionsPath, predicted);
        var truth = test.Select(e => e.Label).ToArray();
        var report = ClassificationReport.Create<long>(truth, predicted, ClassNames.Length, ClassNames);
        var confusion = Metrics.ConfusionMatrix<long>(truth, predicted, ClassNames.Length);
        new ConfusionMatrixPlot(confusion, ClassNames) { Title = "Test confusion matrix" }.Save(run.ConfusionMatrixPath);
        File.WriteAllText(run.ReportPath, report.ToText(4) + Environment.NewLine + ConfusionMatrixText.Render(confusion, ClassNames));
        var summary = new Dictionary<string, object?> { ["loss"] = loss, ["accuracy"] = report.Accuracy, ["macro_f1"] = report.MacroF1, ["support"] = report.Support };
        foreach (var (score, name) in report.PerClass.Zip(ClassNames))
        {
            summary[$"precision_{name}"] = score.Precision;
            summary[$"recall_{name}"] = score.Recall;
            summary[$"f1_{name}"] = score.F1;
        }
        results["test"] = summary;
        results["labels"] = ClassNames;
    }

    /// <summary>One line per test text (its index among the data file's readable rows, true and predicted label, the start of the text), so
    /// the mistakes can be read, not just counted.</summary>
    private void WritePredictions(string path, long[] predicted)
    {
        using var writer = new StreamWriter(path);
        for (int i = 0; i < test.Length; i++)
        {
            var row = rows[(int)testRows[i]];
            var line = new Dictionary<string, object>
            {
                ["index"] = testRows[i], ["label"] = row.Label, ["predicted"] = ClassNames[predicted[i]],
                ["correct"] = predicted[i] == test[i].Label, ["text"] = Start(row.Text, 300),
            };
            writer.WriteLine(System.Text.Json.JsonSerializer.Serialize(line));
        }
    }

    /// <summary>The first <paramref name="length"/> characters, without cutting a surrogate pair in two.</summary>
    private static string Start(string text, int length)
    {
        if (text.Length <= length) return text;
        return char.IsHighSurrogate(text[length - 1]) ? text[..(length - 1)] : text[..length];
    }

    /// <inheritdoc/>
    public string Describe() => $"{train.Length:N0} / {validation.Length:N0} / {test.Length:N0} train / validation / test texts in {ClassNames.Length} classes ({string.Join(", ", ClassNames)}), first {options.Context} tokens of each";

    private (double Loss, long[] Predicted) Predict(ISequenceClassifier model, (int[] Ids, long Label)[] examples)
    {
        model.Network.Eval();
        using var _ = Autograd.NoGrad.Enter();
        double loss = 0;
        var predicted = new List<long>(examples.Length);
        foreach (var chunk in examples.Chunk(Math.Max(1, options.BatchSize * 2)))
        {
            using var scope = new TensorScope();
            var (ids, lengths, targets) = Batch(chunk);
            var logits = model.Classify(ids, lengths);
            loss += Tensor.CrossEntropy(logits, targets, Reduction.Sum).Item();
            predicted.AddRange(logits.ArgMax(-1).ToArray<long>());
        }
        return (loss / examples.Length, predicted.ToArray());
    }

    private (Tensor Ids, int[] Lengths, Tensor Targets) Batch((int[] Ids, long Label)[] examples)
    {
        var (ids, lengths) = Inference.TextClassifier.Pad(examples.Select(e => e.Ids).ToList(), padId, BatchLength.Bucket(examples.Max(e => e.Ids.Length), options.Context));
        return (ids, lengths, Tensor.FromArray(examples.Select(e => e.Label).ToArray(), examples.Length));
    }
}
