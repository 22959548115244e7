using System.Diagnostics;
using Sapling.Data;
using Sapling.Training.Evaluation;
using Sapling.Inference;
using Sapling.Models;
using Sapling.Data.Text;
using Sapling.Training.Runs;

namespace Sapling.Training.LanguageModel.Objectives;

/// <summary>
/// Sequence-to-sequence training (translation, or any text written for a text) of an encoder-decoder, as
/// transformers' Seq2SeqTrainer does it: the source (eos last) goes through the encoder, the decoder reads the target
/// shifted right behind decoder_start_token_id (teacher forcing), and the loss is the cross-entropy of every target
/// token, label-smoothed. Pairs are split into train / validation / test by a seed; training batches are drawn from
/// pairs sorted by source and target length (length buckets), so a batch pads little. Validation adds greedy BLEU on a
/// sample; the test report translates the test split greedily and with beam search and scores both with BLEU and chrF.
/// </summary>
public sealed class Seq2SeqObjective : ILmObjective
{
    private readonly LmOptions options;
    private readonly ITokenizer tokenizer;
    private readonly int eosId;
    private readonly Example[] train, validation, test;
    private readonly IReadOnlyList<ParallelPair> pairs;
    private readonly long[] validationRows, testRows;
    private readonly long truncated;

    private sealed record Example(int[] Source, int[] Target);

    /// <param name="pairs">All pairs, split by data.split_seed; or the training pairs when <paramref name="heldOut"/> gives
    /// the validation and test pairs (data.validation_corpus, data.test_corpus).</param>
    public Seq2SeqObjective(IReadOnlyList<ParallelPair> pairs, ISeq2SeqLM model, ITokenizer tokenizer, LmOptions options, (IReadOnlyList<ParallelPair> Validation, IReadOnlyList<ParallelPair> Test)? heldOut = null)
    {
        this.options = options;
        this.tokenizer = tokenizer;
        eosId = model.EosTokenId;
        long[][] parts;
        if (heldOut is var (heldValidation, heldTest))
        {
            this.pairs = [.. pairs, .. heldValidation, .. heldTest];
            parts =
            [
                Enumerable.Range(0, pairs.Count).Select(i => (long)i).ToArray(),
                Enumerable.Range(pairs.Count, heldValidation.Count).Select(i => (long)i).ToArray(),
                Enumerable.Range(pairs.Count + heldValidation.Count, heldTest.Count).Select(i => (long)i).ToArray(),
            ];
        }
        else
        {
            this.pairs = pairs;
            double trainFraction = 1 - options.ValidationFraction - options.TestFraction;
            parts = Splits.Random(pairs.Count, [trainFraction, options.ValidationFraction, options.TestFraction], options.SplitSeed);
        }
        pairs = this.pairs;
        long cut = 0;
        int[] Encode(string text, int limit, bool target)
        {
            // A tokenizer with its own target side (Marian's target.spm) cuts targets with it.
            var ids = target && tokenizer is ITargetTokenizer targets ? targets.EncodeTarget(text, addSpecialTokens: false) : tokenizer.Encode(text);
            // The end token stays when a long text is cut, so the model still learns where a text ends.
            if (ids.Length + 1 > limit)
            {
                cut++;
                ids = ids[..(limit - 1)];
            }
            return [.. ids, eosId];
        }
        Example Make(long i) => new(Encode(pairs[(int)i].Source, options.MaxSourceLength, target: false), Encode(pairs[(int)i].Target, options.MaxTargetLength, target: true));
        // Length buckets: neighbours in this order have similar source and target lengths.
        train = parts[0].Select(Make).OrderBy(e => e.Source.Length).ThenBy(e => e.Target.Length).ToArray();
        validation = parts[1].Select(Make).ToArray();
        test = parts[2].Select(Make).ToArray();
        (validationRows, testRows) = (parts[1].ToArray(), parts[2].ToArray());
        truncated = cut;
        if (train.Length == 0 || validation.Length == 0 || test.Length == 0)
            throw new InvalidDataException($"{pairs.Count} pairs leave an empty train, validation or test split");
    }

    /// <inheritdoc/>
    public double? BaselineLoss => null;

    /// <inheritdoc/>
    public bool WritesText => false;

    /// <inheritdoc/>
    public (Tensor Loss, long Tokens) TrainingLoss(ITrainableModel trainable, long step)
    {
        var model = AsSeq2Seq(trainable);
        var g = new Generator(options.Seed * 0x9E3779B97F4A7C15UL ^ (ulong)step);
        int size = Math.Min(options.BatchSize, train.Length);
        int start = (int)g.NextInt64(0, train.Length - size + 1);
        var batch = train.AsSpan(start, size).ToArray();
        var (loss, tokens) = Loss(model, batch, options.LabelSmoothing, Reduction.Mean);
        return (loss, tokens);
    }

    /// <inheritdoc/>
    public LmValidation Validate(ITrainableModel trainable)
    {
        var model = AsSeq2Seq(trainable);
        double loss = MeanLoss(model, validation);
        int n = Math.Min(options.Seq2SeqEvalSamples, validation.Length);
        var metrics = new Dictionary<string, double>();
        if (n > 0)
        {
            var hypotheses = Translate(model, validation.Take(n).ToArray(), new Seq2SeqGenerationOptions { MaxNewTokens = options.MaxTargetLength });
            var references = validationRows.Take(n).Select(r => (IReadOnlyList<string>)[pairs[(int)r].Target]).ToArray();
            metrics["val_bleu"] = 100 * Bleu.Corpus(references, hypotheses, TokenizeMode.Auto).Score;
        }
        return new LmValidation(loss, metrics);
    }

    /// <summary>
    /// Scores the test split: the mean loss; translations by greedy search and by beam search (seq2seq.num_beams) with
    /// BLEU, chrF and the time each took; test_predictions.jsonl (source, reference, both translations) and
    /// results["test"].
    /// </summary>
    public void Report(ITrainableModel trainable, RunFolder run, IDictionary<string, object?> results)
    {
        var model = AsSeq2Seq(trainable);
        var references = testRows.Select(r => (IReadOnlyList<string>)[pairs[(int)r].Target]).ToArray();
        var summary = new Dictionary<string, object?> { ["loss"] = MeanLoss(model, test), ["pairs"] = test.Length };
        var outputs = new Dictionary<string, string[]>();
        foreach (var (name, beams) in options.NumBeams > 1 ? new[] { ("greedy", 1), ("beam", options.NumBeams) } : [("greedy", 1)])
        {
            var watch = Stopwatch.StartNew();
            var hypotheses = Translate(model, test, new Seq2SeqGenerationOptions { MaxNewTokens = options.MaxTargetLength, NumBeams = beams });
            double seconds = watch.Elapsed.TotalSeconds;
            outputs[name] = hypotheses;
            summary[$"{name}_bleu"] = 100 * Bleu.Corpus(references, hypotheses, TokenizeMode.Auto).Score;
            summary[$"{name}_chrf"] = 100 * ChrF.Corpus(references, hypotheses);
            summary[$"{name}_seconds"] = seconds;
            if (beams > 1) summary["num_beams"] = beams;
        }
        using (var writer = new StreamWriter(run.PredictionsPath))
        {
            for (int i = 0; i < test.Length; i++)
            {
                var pair = pairs[(int)testRows[i]];
                var line = new Dictionary<string, object> { ["index"] = testRows[i], ["source"] = pair.Source, ["reference"] = pair.Target };
                foreach (var (name, hypotheses) in outputs) line[name] = hypotheses[i];
                writer.WriteLine(System.Text.Json.JsonSerializer.Serialize(line));
            }
        }
        results["test"] = summary;
    }

    /// <inheritdoc/>
    public string Describe() => $"{train.Length:N0} / {validation.Length:N0} / {test.Length:N0} train / validation / test pairs, sources up to {options.MaxSourceLength} and targets up to {options.MaxTargetLength} tokens" +
        (truncated > 0 ? $" ({truncated:N0} texts cut to fit)" : "") + (options.LabelSmoothing > 0 ? $", label smoothing {options.LabelSmoothing}" : "");

    private static ISeq2SeqLM AsSeq2Seq(ITrainableModel model) => model as ISeq2SeqLM
        ?? throw new NotSupportedException($"method seq2seq trains encoder-decoders (bart, marian, t5); model_type '{model.ModelType}' ({model.GetType().Name}) is not one");

    private (Tensor Loss, long Tokens) Loss(ISeq2SeqLM model, Example[] batch, float labelSmoothing, Reduction reduction) =>
        TeacherForcedLoss(model, batch.Select(e => e.Source).ToArray(), batch.Select(e => e.Target).ToArray(), labelSmoothing, reduction);

    /// <summary>
    /// Cross-entropy of <paramref name="targets"/> (eos last) given <paramref name="sources"/> under teacher forcing: the
    /// padded sources through the encoder, the targets shifted right behind decoder_start_token_id through the decoder;
    /// and how many target tokens it covered.
    /// </summary>
    internal static (Tensor Loss, long Tokens) TeacherForcedLoss(ISeq2SeqLM model, int[][] sources, int[][] targets, float labelSmoothing, Reduction reduction)
    {
        int b = sources.Length;
        // Lengths rounded up to a few sizes, so the tensor pool reuses its buffers from batch to batch (a new length per
        // batch would leave a new set of buffers in the pool each time).
        int s = BatchLength.Bucket(sources.Max(e => e.Length), model.MaxSourceLength ?? int.MaxValue);
        int t = BatchLength.Bucket(targets.Max(e => e.Length), model.MaxTargetLength ?? int.MaxValue);
        var source = new long[b * s];
        var mask = new long[b * s];
        var decoderInput = new long[b * t];
        var labels = new long[b * t];
        Array.Fill(source, model.PadTokenId);
        Array.Fill(decoderInput, model.PadTokenId);
        Array.Fill(labels, -100L);
        long tokens = 0;
        for (int r = 0; r < b; r++)
        {
            for (int i = 0; i < sources[r].Length; i++) (source[r * s + i], mask[r * s + i]) = (sources[r][i], 1);
            var target = targets[r];
            for (int i = 0; i < target.Length; i++)
            {
                decoderInput[r * t + i] = i == 0 ? model.DecoderStartTokenId : target[i - 1];
                labels[r * t + i] = target[i];
            }
            tokens += target.Length;
        }
        var encoded = model.Encode(Tensor.FromArray(source, b, s), Tensor.FromArray(mask, b, s));
        var logits = model.Decode(Tensor.FromArray(decoderInput, b, t), encoded);                     // [B, T, vocab]
        var loss = Tensor.CrossEntropy(logits.Reshape(b * t, model.VocabSize), Tensor.FromArray(labels, b * t), reduction, -100, labelSmoothing);
        return (loss, tokens);
    }

    private double MeanLoss(ISeq2SeqLM model, Example[] examples)
    {
        model.Network.Eval();
        using var _ = Autograd.NoGrad.Enter();
        double sum = 0;
        long tokens = 0;
        foreach (var chunk in examples.Chunk(Math.Max(1, options.BatchSize * 2)))
        {
            using var scope = new TensorScope();
            var (loss, n) = Loss(model, chunk, 0f, Reduction.Sum);
            sum += loss.Item();
            tokens += n;
        }
        return sum / Math.Max(tokens, 1);
    }

    /// <summary>Decoded translations of <paramref name="examples"/>, in order, generated in batches.</summary>
    private string[] Translate(ISeq2SeqLM model, Example[] examples, Seq2SeqGenerationOptions generation)
    {
        model.Network.Eval();
        var translations = new Seq2SeqTranslator(model, tokenizer).TranslateIds(examples.Select(e => e.Source).ToArray(), generation, Math.Max(1, options.BatchSize * 2));
        return Array.ConvertAll(translations, t => t.Text);
    }
}
