using System.Numerics.Tensors;
using Sapling.Models;

namespace Sapling.Inference;

/// <summary>
/// Encoder-decoder generation as transformers' generate() does it: the sources are encoded once (a padded batch), the
/// decoder starts every target from decoder_start_token_id and keeps its self-attention keys and values in a cache
/// that grows one position per step, while the cross-attention keys and values of the encoder's states are projected
/// on the first step and reused. Greedy search, sampling, and beam search (num_beams, length_penalty,
/// early_stopping) with the config's forced tokens, bad words, min_length and no_repeat_ngram_size.
/// </summary>
public static class Seq2SeqGenerator
{
    /// <param name="sources">Token ids of each source (not empty), as the tokenizer gives them (eos included).</param>
    public static GeneratedTarget[] Generate(ISeq2SeqLM model, IReadOnlyList<IReadOnlyList<int>> sources, Seq2SeqGenerationOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sources);
        options.Validate();
        if (sources.Count == 0) return [];
        int width = 0;
        for (int i = 0; i < sources.Count; i++)
        {
            int n = sources[i].Count;
            if (n == 0) throw new ArgumentException($"source {i} is empty; an encoder needs at least one token");
            if (model.MaxSourceLength is int limit && n > limit) throw new ArgumentException($"source {i} has {n} tokens, more than the model's {limit} source positions; split or truncate it");
            foreach (int id in sources[i])
                if ((uint)id >= (uint)model.VocabSize) throw new ArgumentException($"source {i} holds token id {id}, outside the model's vocabulary of {model.VocabSize}");
            width = Math.Max(width, n);
        }
        // The decoder's start token counts in the length, as in transformers' max_length.
        int maxLength = 1 + options.MaxNewTokens;
        if (model.MaxTargetLength is int targetLimit) maxLength = Math.Min(maxLength, targetLimit);
        // Widths rounded up to multiples of 16 (padding is masked), so batch after batch reuses the pool's buffers.
        width = Math.Min((width + 15) / 16 * 16, model.MaxSourceLength ?? int.MaxValue);
        using var _ = Autograd.NoGrad.Enter();
        // The encoder's states and everything else of this generation go back to the pool when it ends.
        using var scope = new TensorScope();
        var (ids, mask) = PaddedBatch(sources, width, model.PadTokenId);
        var encoded = model.Encode(ids, mask);
        var processor = new Seq2SeqLogitsProcessor(options, model.GenerationDefaults, model.EosTokenId, maxLength);
        return options.NumBeams == 1
            ? Search(model, encoded, options, processor, maxLength, cancellation)
            : BeamSearch(model, encoded, options, processor, maxLength, cancellation);
    }

    // Greedy search or sampling: one token per live target per step; finished targets are fed pad until all are done.
    private static GeneratedTarget[] Search(ISeq2SeqLM model, EncoderOutput encoded, Seq2SeqGenerationOptions options, Seq2SeqLogitsProcessor processor, int maxLength, CancellationToken cancellation)
    {
        int batch = encoded.Batch, vocab = model.VocabSize;
        var sampling = new SamplingOptions
        {
            Temperature = options.DoSample ? options.Temperature : 0f,
            TopK = options.TopK,
            TopP = options.TopP,
            RepetitionPenalty = options.RepetitionPenalty,
        };
        var generator = new Generator(options.Seed);
        var targets = new List<int>[batch];
        var next = new long[batch];
        var done = new bool[batch];
        for (int r = 0; r < batch; r++)
        {
            targets[r] = [model.DecoderStartTokenId];
            next[r] = model.DecoderStartTokenId;
        }
        using var cache = model.NewCache(batch, maxLength);
        float[]? buffer = null;
        int live = batch;
        for (int length = 1; length < maxLength && live > 0; length++)
        {
            cancellation.ThrowIfCancellationRequested();
            var logits = StepLogits(model, next, encoded, cache, ref buffer);           // [B·vocab]
            for (int r = 0; r < batch; r++)
            {
                if (done[r])
                {
                    next[r] = model.PadTokenId;
                    continue;
                }
                var row = logits.AsSpan(r * vocab, vocab);
                processor.Apply(row, targets[r]);
                int token = TextGenerator.Pick(row, targets[r], sampling, generator);
                targets[r].Add(token);
                next[r] = token;
                if (token == model.EosTokenId)
                {
                    done[r] = true;
                    live--;
                }
            }
        }
        var results = new GeneratedTarget[batch];
        for (int r = 0; r < batch; r++) results[r] = new GeneratedTarget(targets[r].GetRange(1, targets[r].Count - 1).ToArray(), null);
        return results;
    }

    // Beam search: num_beams live targets per source, extended together; see BeamHypotheses for how finished ones rank.
    private static GeneratedTarget[] BeamSearch(ISeq2SeqLM model, EncoderOutput encoded, Seq2SeqGenerationOptions options, Seq2SeqLogitsProcessor processor, int maxLength, CancellationToken cancellation)
    {
        int batch = encoded.Batch, k = options.NumBeams, rows = batch * k, vocab = model.VocabSize, eos = model.EosTokenId;
        var expanded = encoded.RepeatRows(k);
        using var cache = model.NewCache(rows, maxLength);
        var sequences = new List<int>[rows];
        var beamScores = new float[rows];
        var next = new long[rows];
        for (int r = 0; r < rows; r++)
        {
            sequences[r] = [model.DecoderStartTokenId];
            next[r] = model.DecoderStartTokenId;
            // Only the first beam is live at the start; the others would repeat its candidates.
            beamScores[r] = r % k == 0 ? 0f : -1e9f;
        }
        var hypotheses = new BeamHypotheses[batch];
        for (int b = 0; b < batch; b++) hypotheses[b] = new BeamHypotheses(k, options.LengthPenalty, options.EarlyStopping);
        var done = new bool[batch];
        var sourceRows = new int[rows];
        var nextScores = new float[rows];
        var candidates = new PriorityQueue<int, (float Score, int NegIndex)>(2 * k + 1);
        float[]? buffer = null;
        var ranked = new (float Score, int Index)[2 * k];
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            int length = sequences[0].Count;
            var scores = StepLogits(model, next, expanded, cache, ref buffer);         // [rows·vocab]
            for (int r = 0; r < rows; r++)
            {
                var row = scores.AsSpan(r * vocab, vocab);
                LogSoftmax(row);
                processor.Apply(row, sequences[r]);
                TensorPrimitives.Add(row, beamScores[r], row);
            }
            for (int b = 0; b < batch; b++)
            {
                if (done[b])
                {
                    for (int j = 0; j < k; j++)
                    {
                        int row = b * k + j;
                        (sourceRows[row], next[row], nextScores[row]) = (row, model.PadTokenId, 0f);
                    }
                    continue;
                }
                int found = TopCandidates(scores.AsSpan(b * k * vocab, k * vocab), candidates, ranked);
                int filled = 0;
                for (int rank = 0; rank < found && filled < k; rank++)
                {
                    var (score, index) = ranked[rank];
                    int token = index % vocab, row = b * k + index / vocab;
                    if (token == eos)
                    {
                        // An end among the best num_beams candidates finishes that target; lower ones are ignored.
                        if (rank >= k) continue;
                        hypotheses[b].Add([.. sequences[row], eos], score, length);
                    }
                    else
                    {
                        int target = b * k + filled++;
                        (sourceRows[target], next[target], nextScores[target]) = (row, token, score);
                    }
                }
                for (; filled < k; filled++)
                {
                    int target = b * k + filled;
                    (sourceRows[target], next[target], nextScores[target]) = (b * k, model.PadTokenId, float.NegativeInfinity);
                }
                done[b] = hypotheses[b].IsDone(ranked[0].Score, length);
            }
            cache.ReorderRows(sourceRows);
            var extended = new List<int>[rows];
            for (int r = 0; r < rows; r++)
            {
                extended[r] = new List<int>(sequences[sourceRows[r]]) { (int)next[r] };
                beamScores[r] = nextScores[r];
            }
            sequences = extended;
            if (Array.TrueForAll(done, d => d) || sequences[0].Count >= maxLength) break;
        }
        var results = new GeneratedTarget[batch];
        for (int b = 0; b < batch; b++)
        {
            if (!done[b])
                for (int j = 0; j < k; j++)
                {
                    int row = b * k + j;
                    hypotheses[b].Add([.. sequences[row]], beamScores[row], sequences[row].Count - 1);
                }
            var (score, tokens) = hypotheses[b].Best();
            results[b] = new GeneratedTarget(tokens[1..], score);
        }
        return results;
    }

    /// <summary>The decoder's logits for one new token per row, copied into <paramref name="into"/> [rows·vocab] (one
    /// buffer for the whole generation, not one per step).</summary>
    private static float[] StepLogits(ISeq2SeqLM model, long[] next, EncoderOutput encoded, NN.EncoderDecoderCache cache, ref float[]? into)
    {
        using var scope = new TensorScope();
        var logits = model.Decode(Tensor.FromArray(next, next.Length, 1), encoded, cache);      // [rows, 1, vocab]
        var dense = logits.IsContiguous ? logits : logits.Contiguous();
        into ??= new float[dense.NumEl];
        dense.AsSpan().CopyTo(into);
        if (TensorPrimitives.IsNaNAny(into)) throw new InvalidOperationException("generation: the decoder's output holds NaN; the model's weights are probably not finite (a diverged training run?)");
        return into;
    }

    /// <summary>log_softmax in place: x − max − log Σ exp(x − max), the exponentials in a pooled scratch row.</summary>
    private static void LogSoftmax(Span<float> row)
    {
        float max = TensorPrimitives.Max(row);
        TensorPrimitives.Subtract(row, max, row);
        var scratch = System.Buffers.ArrayPool<float>.Shared.Rent(row.Length);
        try
        {
            var exps = scratch.AsSpan(0, row.Length);
            TensorPrimitives.Exp(row, exps);
            TensorPrimitives.Subtract(row, MathF.Log(TensorPrimitives.Sum(exps)), row);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(scratch);
        }
    }

    // The 2·num_beams best (score, index) pairs of one source's beams·vocab candidates, best first; equal scores keep
    // the lower index first. A heap of 2·num_beams: the candidates are read once and never sorted.
    private static int FillRanked(PriorityQueue<int, (float Score, int NegIndex)> heap, (float Score, int Index)[] ranked)
    {
        int found = heap.Count;
        for (int i = found - 1; i >= 0; i--)
        {
            heap.TryDequeue(out int index, out var priority);
            ranked[i] = (priority.Score, index);
        }
        return found;
    }

    private static int TopCandidates(ReadOnlySpan<float> scores, PriorityQueue<int, (float Score, int NegIndex)> heap, (float Score, int Index)[] ranked)
    {
        int keep = ranked.Length;
        heap.Clear();
        for (int i = 0; i < scores.Length; i++)
        {
            var priority = (scores[i], -i);
            if (heap.Count < keep) heap.Enqueue(i, priority);
            else if (heap.TryPeek(out _, out var least) && priority.CompareTo(least) > 0) heap.EnqueueDequeue(i, priority);
        }
        return FillRanked(heap, ranked);
    }

    private static (Tensor Ids, Tensor? Mask) PaddedBatch(IReadOnlyList<IReadOnlyList<int>> sources, int width, int pad)
    {
        int batch = sources.Count;
        var ids = new long[batch * width];
        var mask = new long[batch * width];
        bool padded = false;
        for (int r = 0; r < batch; r++)
        {
            var source = sources[r];
            for (int i = 0; i < width; i++)
            {
                bool real = i < source.Count;
                ids[r * width + i] = real ? source[i] : pad;
                mask[r * width + i] = real ? 1 : 0;
                padded |= !real;
            }
        }
        return (Tensor.FromArray(ids, batch, width), padded ? Tensor.FromArray(mask, batch, width) : null);
    }
}
