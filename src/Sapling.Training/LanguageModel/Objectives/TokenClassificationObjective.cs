using Sapling.Data;
using Sapling.Training.Evaluation;
using Sapling.Models;
using Sapling.Data.Text;
using Sapling.Training.Plots;
using Sapling.Training.Runs;

namespace Sapling.Training.LanguageModel.Objectives;

/// <summary>
/// Sequence labelling (named entities, punctuation, parts of speech) with a pretrained encoder and a token-classification
/// head, as transformers' token-classification recipe trains it: each sentence's words go through the tokenizer one by
/// one, the first sub-word token of a word carries its tag and the others none, and the loss is the cross-entropy over the
/// tagged tokens. Sentences are split into train / validation / test by a seed; words the context cuts off are left out of
/// the scores. Scores are per tag (scikit-learn's report over words) and, when the tags follow a chunk scheme (B-/I-/E-/S-
/// and O), per entity as seqeval gives them.
/// </summary>
public sealed class TokenClassificationObjective : ILmObjective
{
    private readonly LmOptions options;
    private readonly int padId;
    private readonly Example[] train, validation, test;
    private readonly IReadOnlyList<TaggedWords> sentences;
    private readonly long[] testRows;
    private readonly bool chunkScheme;
    private readonly long wordsLeftOut;

    /// <summary>One sentence as the model reads it: ids, the target of every token (-100 where none), and for each word its first token or -1.</summary>
    private sealed record Example(int[] Ids, long[] Targets, int[] WordStarts, long[] WordTags);

    /// <summary>The tags of the data in ordinal order: the ids the new head is given.</summary>
    public static string[] TagNamesOf(IReadOnlyList<TaggedWords> sentences)
    {
        var names = sentences.SelectMany(s => s.Tags).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (names.Length < 2) throw new InvalidDataException($"sequence labelling needs at least 2 tags, the data has {names.Length}");
        return names;
    }

    /// <summary>
    /// Creates the objective, splitting the sentences into train, validation and test. The data's tags must be exactly
    /// the model's labels (see <see cref="TagNamesOf"/>).
    /// </summary>
    public TokenClassificationObjective(IReadOnlyList<TaggedWords> sentences, ITokenClassifier model, ITokenizer tokenizer, LmOptions options)
    {
        this.options = options;
        this.sentences = sentences;
        padId = model.PadId(tokenizer);
        TagNames = model.Labels;
        if (!TagNamesOf(sentences).SequenceEqual(TagNames, StringComparer.Ordinal))
            throw new InvalidDataException($"the data's tags ({string.Join(", ", TagNamesOf(sentences))}) are not the model's ({string.Join(", ", TagNames)})");
        chunkScheme = EntityReport.IsChunkScheme(TagNames);
        var tagIds = TagNames.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => (long)p.i, StringComparer.Ordinal);
        double trainFraction = 1 - options.ValidationFraction - options.TestFraction;
        var parts = Splits.Random(sentences.Count, [trainFraction, options.ValidationFraction, options.TestFraction], options.SplitSeed);
        long leftOut = 0;
        Example Encode(long i)
        {
            var sentence = sentences[(int)i];
            var encoded = EncoderInput.EncodeWords(tokenizer, sentence.Words, options.Context);
            var targets = new long[encoded.Ids.Length];
            Array.Fill(targets, -100L);
            var tags = new long[sentence.Tags.Length];
            for (int w = 0; w < tags.Length; w++)
            {
                tags[w] = tagIds[sentence.Tags[w]];
                if (encoded.WordStarts[w] >= 0) targets[encoded.WordStarts[w]] = tags[w];
                else leftOut++;
            }
            return new Example(encoded.Ids, targets, encoded.WordStarts, tags);
        }
        // A sentence none of whose words has a token would give a batch nothing to learn from.
        train = parts[0].Select(Encode).Where(e => Array.Exists(e.Targets, t => t >= 0)).ToArray();
        validation = parts[1].Select(Encode).ToArray();
        test = parts[2].Select(Encode).ToArray();
        wordsLeftOut = leftOut;
        testRows = parts[2].ToArray();
        if (train.Length == 0 || validation.Length == 0 || test.Length == 0)
            throw new InvalidDataException($"{sentences.Count} sentences leave an empty train, validation or test split");
    }

    /// <summary>The tags, in the order of the model's label ids.</summary>
    public string[] TagNames { get; }

    /// <inheritdoc/>
    public double? BaselineLoss => null;

    /// <inheritdoc/>
    public bool LossIsPerplexity => false;

    /// <inheritdoc/>
    public bool WritesText => false;

    /// <inheritdoc/>
    public (Tensor Loss, long Tokens) TrainingLoss(ITrainableModel trainable, long step)
    {
        var model = AsTokenClassifier(trainable);
        var g = new Generator(options.Seed * 0x9E3779B97F4A7C15UL ^ (ulong)step);
        var batch = new Example[Math.Min(options.BatchSize, train.Length)];
        for (int i = 0; i < batch.Length; i++) batch[i] = train[g.NextInt64(0, train.Length)];
        var (ids, lengths, targets) = Batch(batch);
        var scores = model.ClassifyTokens(ids, lengths);                                   // [B, T, tags]
        int b = scores.Shape[0], t = scores.Shape[1];
        return (Tensor.CrossEntropy(scores.Reshape(b * t, TagNames.Length), targets), lengths.Sum(n => (long)n));
    }

    /// <inheritdoc/>
    public LmValidation Validate(ITrainableModel trainable)
    {
        var (loss, truth, predicted) = Predict(AsTokenClassifier(trainable), validation);
        var words = WordReport(truth, predicted);
        var metrics = new Dictionary<string, double> { ["val_accuracy"] = words.Accuracy, ["val_macro_f1"] = words.MacroF1 };
        if (chunkScheme) metrics["val_entity_f1"] = EntityReport.Create(Names(truth), Names(predicted)).MicroF1;
        return new LmValidation(loss, metrics);
    }

    /// <summary>Scores the test split: classification_report.txt (per tag, and per entity type for chunk tags),
    /// confusion_matrix.svg of the tags, test_predictions.jsonl and results["test"].</summary>
    public void Report(ITrainableModel trainable, RunFolder run, IDictionary<string, object?> results)
    {
        var (loss, truth, predicted) = Predict(AsTokenClassifier(trainable), test);
        WritePredictions(run.PredictionsPath, predicted);
        var words = WordReport(truth, predicted);
        var flatTruth = truth.SelectMany(t => t).ToArray();
        var flatPredicted = predicted.SelectMany(p => p).ToArray();
        var confusion = Metrics.ConfusionMatrix<long>(flatTruth, flatPredicted, TagNames.Length);
        new ConfusionMatrixPlot(confusion, TagNames) { Title = "Test confusion matrix (words)" }.Save(run.ConfusionMatrixPath);
        var text = "Per tag (words):" + Environment.NewLine + words.ToText(4) + Environment.NewLine + ConfusionMatrixText.Render(confusion, TagNames);
        var summary = new Dictionary<string, object?> { ["loss"] = loss, ["accuracy"] = words.Accuracy, ["macro_f1"] = words.MacroF1, ["words"] = flatTruth.Length, ["words_left_out"] = wordsLeftOut };
        foreach (var (score, name) in words.PerClass.Zip(TagNames)) summary[$"f1_{name}"] = score.F1;
        if (chunkScheme)
        {
            var entities = EntityReport.Create(Names(truth), Names(predicted));
            text += Environment.NewLine + "Per entity (seqeval):" + Environment.NewLine + entities.ToText(4);
            (summary["entity_precision"], summary["entity_recall"], summary["entity_f1"]) = (entities.MicroPrecision, entities.MicroRecall, entities.MicroF1);
        }
        File.WriteAllText(run.ReportPath, text);
        results["test"] = summary;
        results["labels"] = TagNames;
    }

    /// <summary>One line per test sentence: its index in the data, the words, true and predicted tags (words cut off by the context omitted).</summary>
    private void WritePredictions(string path, long[][] predicted)
    {
        using var writer = new StreamWriter(path);
        for (int i = 0; i < test.Length; i++)
        {
            var sentence = sentences[(int)testRows[i]];
            var kept = Enumerable.Range(0, sentence.Words.Length).Where(w => test[i].WordStarts[w] >= 0).ToArray();
            var line = new Dictionary<string, object>
            {
                ["index"] = testRows[i], ["words"] = kept.Select(w => sentence.Words[w]).ToArray(), ["tags"] = kept.Select(w => sentence.Tags[w]).ToArray(),
                ["predicted"] = predicted[i].Select(p => TagNames[p]).ToArray(),
            };
            writer.WriteLine(System.Text.Json.JsonSerializer.Serialize(line));
        }
    }

    /// <inheritdoc/>
    public string Describe() => $"{train.Length:N0} / {validation.Length:N0} / {test.Length:N0} train / validation / test sentences tagged with {TagNames.Length} tags ({string.Join(", ", TagNames.Take(12))}{(TagNames.Length > 12 ? ", ..." : "")}), first {options.Context} tokens of each" +
        (wordsLeftOut > 0 ? $"; {wordsLeftOut:N0} words beyond that are left out" : "");

    private static ITokenClassifier AsTokenClassifier(ITrainableModel model) => model as ITokenClassifier
        ?? throw new NotSupportedException($"method token_classify needs a model with a token-classification head; model_type '{model.ModelType}' ({model.GetType().Name}) has none");

    private ClassificationReport WordReport(long[][] truth, long[][] predicted) =>
        ClassificationReport.Create<long>(truth.SelectMany(t => t).ToArray(), predicted.SelectMany(p => p).ToArray(), TagNames.Length, TagNames);

    private string[][] Names(long[][] tags) => tags.Select(s => s.Select(t => TagNames[t]).ToArray()).ToArray();

    /// <summary>The mean loss over tagged tokens, and each sentence's true and predicted tags for the words that were read.</summary>
    private (double Loss, long[][] Truth, long[][] Predicted) Predict(ITokenClassifier model, Example[] examples)
    {
        model.Network.Eval();
        using var _ = Autograd.NoGrad.Enter();
        double loss = 0;
        long tagged = 0;
        var truth = new long[examples.Length][];
        var predicted = new long[examples.Length][];
        int done = 0;
        foreach (var chunk in examples.Chunk(Math.Max(1, options.BatchSize * 2)))
        {
            using var scope = new TensorScope();
            var (ids, lengths, targets) = Batch(chunk);
            var scores = model.ClassifyTokens(ids, lengths);                               // [B, T, tags]
            int b = scores.Shape[0], t = scores.Shape[1];
            loss += Tensor.CrossEntropy(scores.Reshape(b * t, TagNames.Length), targets, Reduction.Sum).Item();
            var best = scores.ArgMax(-1).ToArray<long>();                                 // [B * T]
            for (int r = 0; r < chunk.Length; r++, done++)
            {
                var example = chunk[r];
                var kept = new List<long>(example.WordTags.Length);
                var guess = new List<long>(example.WordTags.Length);
                for (int w = 0; w < example.WordTags.Length; w++)
                {
                    if (example.WordStarts[w] < 0) continue;
                    kept.Add(example.WordTags[w]);
                    guess.Add(best[r * t + example.WordStarts[w]]);
                    tagged++;
                }
                (truth[done], predicted[done]) = (kept.ToArray(), guess.ToArray());
            }
        }
        return (loss / Math.Max(tagged, 1), truth, predicted);
    }

    private (Tensor Ids, int[] Lengths, Tensor Targets) Batch(Example[] examples)
    {
        int length = BatchLength.Bucket(examples.Max(e => e.Ids.Length), options.Context);
        var (ids, lengths) = Inference.TextClassifier.Pad(examples.Select(e => e.Ids).ToList(), padId, length);
        var targets = new long[examples.Length * length];
        Array.Fill(targets, -100L);
        for (int r = 0; r < examples.Length; r++) examples[r].Targets.AsSpan().CopyTo(targets.AsSpan(r * length));
        return (ids, lengths, Tensor.FromArray(targets, examples.Length * length));
    }
}
