using System.Buffers;
using System.Numerics.Tensors;
using Sapling.Autograd;
using Sapling.Models;

namespace Sapling.Inference;

/// <summary>
/// Autoregressive decoding with a KV cache: the prompt is run once (prefill), then each step feeds only the newest
/// token. When the context fills up, the cache restarts from the last half of the context (a sliding window).
/// </summary>
public static class TextGenerator
{
    /// <summary>Prompts longer than this are prefilled this many tokens at a time, so no activation grows with the prompt.</summary>
    public const int PrefillChunk = 512;

    /// <summary>
    /// Generates up to <see cref="SamplingOptions.MaxNewTokens"/> tokens after <paramref name="prompt"/> and returns
    /// them (a stop token included); <paramref name="onToken"/> hears each as it is picked. A prompt longer than the
    /// context keeps its last tokens. Refuses an empty prompt, ids outside the vocabulary and invalid options.
    /// </summary>
    public static int[] Generate(ICausalLM model, IReadOnlyList<int> prompt, SamplingOptions options, Action<int>? onToken = null)
    {
        options.Validate();
        if (prompt.Count == 0) throw new ArgumentException("generation needs at least one prompt token (for example the end-of-text token)");
        foreach (int id in prompt)
            if (id < 0 || id >= model.VocabSize) throw new ArgumentOutOfRangeException(nameof(prompt), $"prompt token {id} is outside the vocabulary of {model.VocabSize}");
        using var _ = NoGrad.Enter();
        model.Network.Eval();
        var g = new Generator(options.Seed);
        var context = new List<int>(prompt);
        var generated = new List<int>();
        int window = model.ContextLength;
        var feed = context.Count > window ? context.Skip(context.Count - window).ToList() : context;
        // The cache holds what this generation can reach, not the model's whole context (131,072 positions for Llama 3).
        // Disposed at the end: its buffers go back to the pool for the next generation.
        using var cache = model.NewCache(1, Math.Min(window, feed.Count + options.MaxNewTokens));
        // One buffer for every step's logits: a vocabulary-sized array per token would be a large-object allocation
        // per token, which the GC lets pile up for hundreds of megabytes before it collects.
        var logits = new float[model.VocabSize];
        Prefill(model, feed, cache, logits);
        for (int step = 0; step < options.MaxNewTokens; step++)
        {
            int next = Pick(logits, context, options, g);
            generated.Add(next);
            context.Add(next);
            onToken?.Invoke(next);
            if (options.StopIds.Contains(next) || step == options.MaxNewTokens - 1) break;
            if (cache.Length >= cache.MaxLength)
            {
                cache.Reset();
                Prefill(model, context.Skip(context.Count - window / 2).ToList(), cache, logits);
                continue;
            }
            using var scope = new TensorScope();
            CopyRows(model.LastPositionLogits(Ids([next]), cache), logits);
        }
        return generated.ToArray();
    }

    /// <summary>
    /// Runs the prompt through the model into <paramref name="cache"/> in chunks of <see cref="PrefillChunk"/> (no
    /// gradients), and writes the last position's logits into <paramref name="logits"/>.
    /// </summary>
    public static void Prefill(ICausalLM model, IReadOnlyList<int> tokens, NN.KvCache cache, float[] logits)
    {
        using var noGrad = NoGrad.Enter();
        for (int start = 0; start < tokens.Count; start += PrefillChunk)
        {
            using var scope = new TensorScope();
            int length = Math.Min(PrefillChunk, tokens.Count - start);
            var chunk = new long[length];
            for (int i = 0; i < length; i++) chunk[i] = tokens[start + i];
            var last = model.LastPositionLogits(Tensor.FromArray(chunk, 1, length), cache);
            if (start + length == tokens.Count) CopyRows(last, logits);
        }
    }

    /// <summary>
    /// Several prompts decoded together: shorter prompts are left-padded (padding is neither attended to nor given a
    /// position), the batch is prefilled once, then each step feeds one token per row. Each row has its own random
    /// stream (seed + row) and stops on its own; rows that stopped idle until all are done.
    /// </summary>
    public static int[][] GenerateBatch(ICausalLM model, IReadOnlyList<IReadOnlyList<int>> prompts, SamplingOptions options)
    {
        options.Validate();
        if (prompts.Count == 0) return [];
        int batch = prompts.Count;
        int longest = prompts.Max(p => p.Count);
        if (prompts.Any(p => p.Count == 0)) throw new ArgumentException("every prompt needs at least one token");
        if (longest + options.MaxNewTokens > model.ContextLength)
            throw new ArgumentException($"batched generation needs the longest prompt ({longest}) plus max new tokens ({options.MaxNewTokens}) to fit the context of {model.ContextLength}");
        using var _ = NoGrad.Enter();
        model.Network.Eval();
        var padding = prompts.Select(p => longest - p.Count).ToArray();
        var ids = new long[batch * longest];
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < prompts[b].Count; i++) ids[b * longest + padding[b] + i] = prompts[b][i];
        using var cache = model.NewCache(batch, longest + options.MaxNewTokens);
        int vocab = model.VocabSize;
        // One buffer for every step's logits, filled inside each step's scope (see Generate).
        var last = new float[batch * vocab];
        using (new TensorScope()) CopyRows(model.LastPositionLogits(Tensor.FromArray(ids, batch, longest), cache, padding), last);
        var generators = Enumerable.Range(0, batch).Select(b => new Generator(options.Seed + (ulong)b)).ToArray();
        var contexts = prompts.Select(p => new List<int>(p)).ToArray();
        var outputs = Enumerable.Range(0, batch).Select(_ => new List<int>()).ToArray();
        var done = new bool[batch];
        var next = new long[batch];
        for (int step = 0; step < options.MaxNewTokens && !done.All(d => d); step++)
        {
            for (int b = 0; b < batch; b++)
            {
                int token = Pick(last.AsSpan(b * vocab, vocab), contexts[b], options, generators[b]);
                next[b] = token;
                if (done[b]) continue;
                outputs[b].Add(token);
                contexts[b].Add(token);
                if (options.StopIds.Contains(token)) done[b] = true;
            }
            if (step == options.MaxNewTokens - 1) break;
            using var scope = new TensorScope();
            CopyRows(model.LastPositionLogits(Tensor.FromArray(next, batch, 1), cache), last);
        }
        return outputs.Select(o => o.ToArray()).ToArray();
    }

    private static Tensor Ids(IReadOnlyList<int> ids) => Tensor.FromArray(ids.Select(i => (long)i).ToArray(), 1, ids.Count);

    /// <summary>Copies logits [B, V] into <paramref name="into"/> [B·V].</summary>
    private static void CopyRows(Tensor logits, float[] into)
    {
        using var dense = logits.IsContiguous ? null : logits.Contiguous();
        (dense ?? logits).AsSpan().CopyTo(into);
    }

    /// <summary>
    /// Applies the repetition penalty, temperature, top-k and top-p to one row of logits and draws a token. Nothing
    /// sorts the whole vocabulary (servers call this for every row of every decode step): without top-k or top-p the
    /// draw walks the ids in order, top-p alone goes through <see cref="NucleusSampling"/>, and top-k pops k ids from a
    /// heap (then top-p, if also set, cuts within those k).
    /// </summary>
    public static int Pick(float[] logits, IReadOnlyCollection<int> context, SamplingOptions options, Generator g) =>
        Pick(logits.AsSpan(), context, options, g);

    /// <inheritdoc cref="Pick(float[], IReadOnlyCollection{int}, SamplingOptions, Generator)"/>
    public static int Pick(ReadOnlySpan<float> logits, IReadOnlyCollection<int> context, SamplingOptions options, Generator g)
    {
        int n = logits.Length;
        // Arg-max of NaN picks id 0 and sampling from NaN weights picks the last id: either would print text that
        // looks like an answer. (−∞ is fine: it is how tokens are masked.)
        if (TensorPrimitives.IsNaNAny(logits))
            throw new InvalidOperationException("sampling: the model's output holds NaN, so there is nothing to sample from; its weights are probably not finite (a diverged training run?)");
        // Scratch comes from the shared pool: a server samples every row of every step.
        var penalised = options.RepetitionPenalty != 1f ? ArrayPool<float>.Shared.Rent(n) : null;
        var weightBuffer = ArrayPool<float>.Shared.Rent(n);
        try
        {
            // The caller's logits stay as they were: a penalty works on a copy.
            var l = logits;
            if (penalised != null)
            {
                logits.CopyTo(penalised);
                foreach (int id in context.Distinct())
                    penalised[id] = penalised[id] > 0 ? penalised[id] / options.RepetitionPenalty : penalised[id] * options.RepetitionPenalty;
                l = penalised.AsSpan(0, n);
            }
            if (options.Temperature == 0f) return ArgMax(l);
            // Unnormalised probabilities exp((l − max)/T), computed once with vector kernels.
            var weights = weightBuffer.AsSpan(0, n);
            TensorPrimitives.Subtract(l, TensorPrimitives.Max(l), weights);
            TensorPrimitives.Multiply(weights, 1f / options.Temperature, weights);
            TensorPrimitives.Exp(weights, weights);
            double total = TensorPrimitives.Sum(weights);
            bool truncated = options.TopK > 0 && options.TopK < n || options.TopP < 1f;
            if (!truncated)
            {
                double draw = g.NextDouble() * total;
                for (int i = 0; i < n; i++)
                {
                    draw -= weights[i];
                    if (draw <= 0) return i;
                }
                return ArgMax(l);
            }
            if (options.TopK == 0) return NucleusSampling.Draw(l, weights, total, options.TopP, g);
            var order = MostLikelyFirst(l, Math.Min(options.TopK, n));
            int keep = options.TopK > 0 ? Math.Min(options.TopK, order.Length) : order.Length;
            double sum = 0;
            for (int r = 0; r < keep; r++) sum += weights[order[r]];
            if (options.TopP < 1f)
            {
                // Shares of the top k.
                double whole = sum;
                double cumulative = 0;
                int cut = keep;
                for (int r = 0; r < keep; r++)
                {
                    cumulative += weights[order[r]] / whole;
                    if (cumulative >= options.TopP)
                    {
                        cut = r + 1;
                        break;
                    }
                }
                keep = cut;
                sum = 0;
                for (int r = 0; r < keep; r++) sum += weights[order[r]];
            }
            double u = g.NextDouble() * sum;
            for (int r = 0; r < keep; r++)
            {
                u -= weights[order[r]];
                if (u <= 0) return order[r];
            }
            return order[keep - 1];
        }
        finally
        {
            ArrayPool<float>.Shared.Return(weightBuffer);
            if (penalised != null) ArrayPool<float>.Shared.Return(penalised);
        }
    }

    /// <summary>
    /// The k most likely token ids, most likely first (equal logits keep id order, so the same seed gives the same token
    /// everywhere), kept in a heap of k: the vocabulary is read once and never sorted.
    /// </summary>
    private static int[] MostLikelyFirst(ReadOnlySpan<float> l, int k)
    {
        // The root is the least likely of the k kept so far: (logit, −id) orders "less likely" first.
        var kept = new PriorityQueue<int, (float Logit, int NegId)>(k + 1);
        for (int i = 0; i < l.Length; i++)
        {
            var priority = (l[i], -i);
            if (kept.Count < k) kept.Enqueue(i, priority);
            else if (kept.TryPeek(out _, out var least) && priority.CompareTo(least) > 0) kept.EnqueueDequeue(i, priority);
        }
        var order = new int[kept.Count];
        for (int r = order.Length - 1; r >= 0; r--) order[r] = kept.Dequeue();
        return order;
    }

    private static int ArgMax(ReadOnlySpan<float> l)
    {
        int best = 0;
        for (int i = 1; i < l.Length; i++) if (l[i] > l[best]) best = i;
        return best;
    }
}
