using Sapling.Data;
using Sapling.IO;

namespace Sapling.Training.LanguageModel;

/// <summary>
/// A tokenised corpus split by document into training and validation token streams (each document followed by the
/// end-of-text token). Training batches are random windows, as nanoGPT samples them, drawn from a generator seeded by
/// the step number so a resumed run sees the same batches.
/// </summary>
public sealed class TokenData
{
    private readonly TokenFile? trainFile;

    /// <summary>Training windows from a memory-mapped token file; validation tokens are read into memory (they are few).</summary>
    public TokenData(TokenFile train, TokenFile validation)
    {
        trainFile = train;
        Train = [];
        Validation = Array.ConvertAll(validation.ReadAll(), t => (int)t);
        TrainDocuments = -1;
        ValidationDocuments = -1;
    }

    /// <summary>Tokens available for training windows.</summary>
    public long TrainLength => trainFile?.Length ?? Train.Length;

    /// <summary>
    /// Splits tokenised <paramref name="documents"/> at random (by <paramref name="seed"/>) into training and
    /// validation, holding out <paramref name="validationFraction"/> of them, and joins each side with <paramref
    /// name="endOfText"/> after every document.
    /// </summary>
    public TokenData(IReadOnlyList<int[]> documents, int endOfText, double validationFraction, ulong seed)
    {
        var parts = Splits.Random(documents.Count, [1 - validationFraction, validationFraction], seed);
        Train = Concatenate(parts[0].Select(i => documents[(int)i]), endOfText);
        Validation = Concatenate(parts[1].Select(i => documents[(int)i]), endOfText);
        TrainDocuments = parts[0].Length;
        ValidationDocuments = parts[1].Length;
    }

    /// <summary>
    /// The training stream in memory; empty when the training tokens come from a file (see <see cref="TrainLength"/>).
    /// </summary>
    public int[] Train { get; }
    /// <summary>The validation stream: the held-out documents, each followed by the end-of-text token.</summary>
    public int[] Validation { get; }
    /// <summary>Documents in the training stream; -1 when it was read from a token file.</summary>
    public int TrainDocuments { get; }
    /// <summary>Documents in the validation stream; -1 when it was read from a token file.</summary>
    public int ValidationDocuments { get; }

    /// <summary>Inputs and next-token targets [batch, context] (int64) at random offsets of the training stream.</summary>
    /// <remarks>
    /// With a <paramref name="shard"/> (data parallelism) only that rank's rows of the global batch are built; all
    /// <paramref name="batch"/> offsets are still drawn, so the ranks' rows together are the single-process batch.
    /// </remarks>
    public (Tensor Inputs, Tensor Targets) TrainBatch(int batch, int context, ulong seed, long step, BatchShard? shard = null)
    {
        if (TrainLength <= context) throw new InvalidOperationException($"the training stream has {TrainLength} tokens, fewer than the context {context} + 1");
        var g = new Generator(seed * 0x9E3779B97F4A7C15UL ^ (ulong)step);
        var (first, rows) = (shard ?? BatchShard.Whole).Range(batch);
        var x = new long[rows * context];
        var y = new long[rows * context];
        var window = trainFile != null ? new long[context + 1] : [];
        for (int row = 0; row < first + rows; row++)
        {
            long start = g.NextInt64(0, TrainLength - context);
            if (row < first) continue;
            int b = row - first;
            if (trainFile != null)
            {
                trainFile.Read(start, window);
                for (int t = 0; t < context; t++)
                {
                    x[b * context + t] = window[t];
                    y[b * context + t] = window[t + 1];
                }
                continue;
            }
            for (int t = 0; t < context; t++)
            {
                x[b * context + t] = Train[start + t];
                y[b * context + t] = Train[start + t + 1];
            }
        }
        return (Tensor.FromArray(x, rows, context), Tensor.FromArray(y, rows, context));
    }

    /// <summary>Consecutive non-overlapping windows of a stream: every token after the first of a window is predicted once.</summary>
    public static IEnumerable<(Tensor Inputs, Tensor Targets)> Windows(int[] stream, int batch, int context, int maxBatches)
    {
        int windows = (stream.Length - 1) / context;
        int made = 0;
        for (int w0 = 0; w0 < windows && made < maxBatches; w0 += batch, made++)
        {
            int count = Math.Min(batch, windows - w0);
            var x = new long[count * context];
            var y = new long[count * context];
            for (int b = 0; b < count; b++)
                for (int t = 0; t < context; t++)
                {
                    x[b * context + t] = stream[(w0 + b) * context + t];
                    y[b * context + t] = stream[(w0 + b) * context + t + 1];
                }
            yield return (Tensor.FromArray(x, count, context), Tensor.FromArray(y, count, context));
        }
    }

    /// <summary>
    /// Cross-entropy of the validation stream under the training stream's unigram frequencies (add-one smoothed):
    /// the loss a model that ignores context would get, which a language model must beat.
    /// </summary>
    public double UnigramBaselineLoss(int vocabSize)
    {
        var counts = new double[vocabSize];
        long trainTokens = 0;
        if (trainFile != null)
        {
            var chunk = new long[1 << 20];
            for (long at = 0; at < trainFile.Length; at += chunk.Length)
            {
                var part = chunk.AsSpan(0, (int)Math.Min(chunk.Length, trainFile.Length - at));
                trainFile.Read(at, part);
                foreach (long t in part)
                {
                    if (t >= vocabSize) throw new InvalidDataException($"{trainFile.Path}: token {t} is outside the vocabulary of {vocabSize}");
                    counts[t]++;
                }
            }
            trainTokens = trainFile.Length;
        }
        else
        {
            foreach (int t in Train) counts[t]++;
            trainTokens = Train.Length;
        }
        double total = trainTokens + vocabSize;
        double loss = 0;
        foreach (int t in Validation.Skip(1)) loss -= Math.Log((counts[t] + 1) / total);
        return loss / Math.Max(1, Validation.Length - 1);
    }

    private static int[] Concatenate(IEnumerable<int[]> documents, int endOfText)
    {
        var all = new List<int>();
        foreach (var d in documents)
        {
            all.AddRange(d);
            all.Add(endOfText);
        }
        return all.ToArray();
    }
}
