using Sapling.Inference;
using Sapling.NN;
using Sapling.Serving.Catalog;
using Sapling.Serving.Operations;

namespace Sapling.Serving.Generation;

/// <summary>
/// Continuous batching for one language model: requests join the running batch as soon as a slot is free (their
/// prompt is prefilled on its own), and every step decodes one token for every running sequence in a single forward
/// pass. A sequence leaves the batch the moment it finishes, its client disconnects or its deadline passes, so nothing
/// waits for the slowest request and nothing computes for a client that is gone. Steps run on the engine thread only;
/// <see cref="TryEnqueue"/> is safe from any thread.
/// </summary>
public sealed class ContinuousBatcher
{
    private readonly ServedLanguageModel served;
    private readonly ServerMetrics metrics;
    private readonly int maxBatch;
    private readonly int capacity;
    private readonly Queue<GenerationRequest> waiting = new();
    private readonly List<ActiveSequence> active = new();
    private readonly Stack<KvCache> freeCaches = new();

    /// <summary>Below this many rows, handing sampling to other threads costs more than it saves.</summary>
    private const int ParallelSamplingRows = 4;

    /// <summary>
    /// Creates the batcher for <paramref name="served"/>: at most <paramref name="maxBatch"/> sequences decode together
    /// and at most <paramref name="capacity"/> requests wait.
    /// </summary>
    public ContinuousBatcher(ServedLanguageModel served, ServerMetrics metrics, int maxBatch, int capacity)
    {
        (this.served, this.metrics, this.maxBatch, this.capacity) = (served, metrics, maxBatch, capacity);
    }

    /// <summary>The language model this batcher runs.</summary>
    public ServedLanguageModel Served => served;

    /// <summary>Requests waiting for a slot.</summary>
    public int Waiting
    {
        get
        {
            lock (waiting) return waiting.Count;
        }
    }

    /// <summary>Sequences in the running batch (read from other threads for metrics; a snapshot).</summary>
    public int Running { get; private set; }

    /// <summary>False when the queue is full: the caller answers 429.</summary>
    public bool TryEnqueue(GenerationRequest request)
    {
        lock (waiting)
        {
            if (waiting.Count >= capacity) return false;
            waiting.Enqueue(request);
            return true;
        }
    }

    /// <summary>Admits waiting requests and decodes one token for every running sequence; false when there was nothing to do.</summary>
    public bool Step()
    {
        DropAbandoned();
        bool worked = Admit();
        if (active.Count > 0)
        {
            Decode();
            worked = true;
        }
        Running = active.Count;
        return worked;
    }

    /// <summary>Fails everything still queued or running (the engine is stopping); running sequences give their caches back.</summary>
    public void FailAll(Exception error)
    {
        lock (waiting)
            while (waiting.Count > 0) waiting.Dequeue().Fail(error);
        for (int i = active.Count - 1; i >= 0; i--) Fail(i, error);
        Running = 0;
    }

    /// <summary>
    /// Ends one sequence with its own error and returns its cache; the rest of the batch goes on. An error the
    /// request's input caused (an argument the model refuses) is answered 400, anything else 500.
    /// </summary>
    private void Fail(int index, Exception error)
    {
        var request = active[index].Request;
        Release(index);
        request.Fail(error switch
        {
            Api.ApiError or OperationCanceledException => error,
            ArgumentException or IndexOutOfRangeException => Api.ApiError.BadRequest($"the model cannot generate for this request: {error.Message}"),
            _ => new Api.ApiError(500, $"generation failed: {error.Message}", code: "generation_failed"),
        });
    }

    private void DropAbandoned()
    {
        var now = DateTime.UtcNow;
        for (int i = active.Count - 1; i >= 0; i--)
        {
            var s = active[i];
            if (s.Request.Aborted.IsCancellationRequested)
            {
                metrics.CountAbandoned();
                Release(i);
            }
            else if (now > s.Request.DeadlineUtc)
            {
                Finish(i, "timeout");
            }
        }
    }

    private bool Admit()
    {
        bool admitted = false;
        while (active.Count < maxBatch)
        {
            GenerationRequest? request;
            lock (waiting)
                if (!waiting.TryDequeue(out request)) break;
            admitted = true;
            if (request.Aborted.IsCancellationRequested)
            {
                metrics.CountAbandoned();
                continue;
            }
            if (DateTime.UtcNow > request.DeadlineUtc)
            {
                request.Emit(new Finished("timeout", request.Prompt.Length, 0));
                continue;
            }
            try
            {
                Prefill(request);
            }
            catch (Exception e)
            {
                int index = active.FindIndex(s => s.Request == request);
                if (index >= 0) Fail(index, e);
                else request.Fail(e);
            }
        }
        return admitted;
    }

    /// <summary>Runs the prompt through the model once, filling the sequence's cache, and samples its first token.</summary>
    private void Prefill(GenerationRequest request)
    {
        var cache = freeCaches.Count > 0 ? freeCaches.Pop() : served.Model.NewCache(1, served.Context);
        var sequence = new ActiveSequence(request, cache, served.Tokenizer);
        active.Add(sequence);
        if (request.Sampling.MaxNewTokens == 0)
        {
            Finish(active.Count - 1, "length");
            return;
        }
        var last = new float[served.Model.VocabSize];
        TextGenerator.Prefill(served.Model, request.Prompt, cache, last);
        request.FirstTokenUtc = DateTime.UtcNow;
        metrics.ObserveTimeToFirstToken((request.FirstTokenUtc.Value - request.EnqueuedUtc).TotalSeconds);
        Accept(active.Count - 1, TextGenerator.Pick(last.AsSpan(0, served.SampledVocabulary), sequence.Context, request.Sampling, sequence.Random));
    }

    private void Decode()
    {
        int batch = active.Count;
        var tokens = new int[batch];
        var caches = new KvCache[batch];
        var lengths = new int[batch];
        for (int b = 0; b < batch; b++) (tokens[b], caches[b], lengths[b]) = (active[b].LastToken, active[b].Cache, active[b].Cache.Length);
        metrics.ObserveBatch(batch);
        var picked = new int[batch];
        var failed = new Exception?[batch];
        try
        {
            DecodeRows(tokens, caches, 0, picked, failed);
        }
        catch (Exception) when (batch > 1)
        {
            // One sequence may have caused it: run each alone from where it was, so only that one fails.
            for (int b = 0; b < batch; b++)
            {
                caches[b].Truncate(Math.Min(lengths[b], caches[b].Length));
                try
                {
                    DecodeRows(tokens.AsSpan(b, 1).ToArray(), [caches[b]], b, picked, failed);
                }
                catch (Exception e)
                {
                    failed[b] = e;
                    caches[b].Truncate(Math.Min(lengths[b], caches[b].Length));
                }
            }
        }
        catch (Exception e)
        {
            failed[0] = e;
        }
        // Backwards, so finishing a row (which removes it) leaves the rows still to visit where they were.
        for (int b = batch - 1; b >= 0; b--)
        {
            if (failed[b] is { } error)
            {
                Fail(b, error);
                continue;
            }
            var sequence = active[b];
            try
            {
                Accept(b, picked[b]);
            }
            catch (Exception e)
            {
                // Text decoding or stop matching failed for this row: it ends here (unless it already left the batch).
                if (b < active.Count && active[b] == sequence) Fail(b, e);
            }
        }
    }

    /// <summary>One decode step for <paramref name="caches"/> (rows <paramref name="first"/>.. of the batch): picks each row's token, or records its error.</summary>
    private void DecodeRows(int[] tokens, KvCache[] caches, int first, int[] picked, Exception?[] failed)
    {
        int rows = tokens.Length, vocab = served.Model.VocabSize, sampled = served.SampledVocabulary;
        using var scope = new TensorScope();
        var logits = BatchedDecode.Step(served.Model, tokens, caches);
        // Rows sample independently (each has its own random stream), so a large batch samples on several cores.
        void Sample(int r)
        {
            var s = active[first + r];
            try
            {
                picked[first + r] = TextGenerator.Pick(logits.AsSpan<float>().Slice(r * vocab, sampled), s.Context, s.Request.Sampling, s.Random);
            }
            catch (Exception e)
            {
                failed[first + r] = e;
            }
        }
        if (rows >= ParallelSamplingRows) Parallel.For(0, rows, Sample);
        else for (int r = 0; r < rows; r++) Sample(r);
    }

    private void Accept(int index, int token)
    {
        var s = active[index];
        s.Generated++;
        s.LastToken = token;
        s.Context.Add(token);
        metrics.CountTokens(1);
        if (s.Request.Sampling.StopIds.Contains(token))
        {
            Finish(index, "stop");
            return;
        }
        var text = s.Stops.Push(s.Text.Push(token));
        if (text.Length > 0) s.Request.Emit(new TextDelta(text));
        if (s.Stops.Stopped) Finish(index, "stop");
        else if (s.Generated >= s.Request.Sampling.MaxNewTokens || s.Cache.Length >= s.Cache.MaxLength) Finish(index, "length");
    }

    private void Finish(int index, string reason)
    {
        var s = active[index];
        if (!s.Stops.Stopped)
        {
            var rest = s.Stops.Push(s.Text.Flush()) + s.Stops.Flush();
            if (rest.Length > 0) s.Request.Emit(new TextDelta(rest));
        }
        s.Request.Emit(new Finished(reason, s.Request.Prompt.Length, s.Generated));
        Release(index);
    }

    private void Release(int index)
    {
        var cache = active[index].Cache;
        active.RemoveAt(index);
        cache.Reset();
        if (freeCaches.Count < maxBatch) freeCaches.Push(cache);
        else cache.Dispose();
    }
}
