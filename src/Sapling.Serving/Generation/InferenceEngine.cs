using System.Collections.Concurrent;
using Sapling.Serving.Catalog;
using Sapling.Serving.Operations;

namespace Sapling.Serving.Generation;

/// <summary>
/// The one thread that runs models. Decode steps of every language model and classification jobs take turns on it,
/// so the engine's kernels (which already use every core inside each product) never compete with each other, and no
/// model state is touched from two threads. Request threads only enqueue work and read results.
/// </summary>
public sealed class InferenceEngine : IDisposable
{
    private readonly Dictionary<string, ContinuousBatcher> batchers = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Action> jobs = new();
    private readonly SemaphoreSlim wake = new(0);
    private readonly Thread thread;
    private volatile bool stopping;

    /// <summary>
    /// Creates the engine and starts its thread, with one continuous batcher per language model of
    /// <paramref name="catalog"/>, sized by <paramref name="options"/>.
    /// </summary>
    public InferenceEngine(ModelCatalog catalog, ServerMetrics metrics, ServeOptions options)
    {
        foreach (var model in catalog.Models.OfType<ServedLanguageModel>())
            batchers[model.Id] = new ContinuousBatcher(model, metrics, options.MaxBatch, options.QueueCapacity);
        metrics.QueueDepth = () => batchers.Values.Sum(b => b.Waiting) + jobs.Count;
        metrics.RunningSequences = () => batchers.Values.Sum(b => b.Running);
        thread = new Thread(Run) { IsBackground = true, Name = "sapling-inference" };
        thread.Start();
    }

    /// <summary>Queues a generation; false when that model's queue is full.</summary>
    public bool TrySubmit(string modelId, GenerationRequest request)
    {
        if (stopping) return false;
        if (!batchers[modelId].TryEnqueue(request)) return false;
        wake.Release();
        return true;
    }

    /// <summary>Runs <paramref name="work"/> on the engine thread between decode steps.</summary>
    public Task<T> Run<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        jobs.Enqueue(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        });
        wake.Release();
        return done.Task;
    }

    private void Run()
    {
        while (!stopping)
        {
            bool worked = false;
            while (jobs.TryDequeue(out var job))
            {
                job();
                worked = true;
            }
            foreach (var batcher in batchers.Values)
            {
                try
                {
                    worked |= batcher.Step();
                }
                catch (Exception e)
                {
                    // A failing step (a bug, or memory) must not leave clients waiting for ever.
                    batcher.FailAll(e);
                }
            }
            if (!worked) wake.Wait(TimeSpan.FromMilliseconds(100));
        }
    }

    /// <summary>Stops after the current step; call once in-flight requests are done.</summary>
    public void Dispose()
    {
        stopping = true;
        wake.Release();
        thread.Join(TimeSpan.FromSeconds(10));
        foreach (var batcher in batchers.Values) batcher.FailAll(new OperationCanceledException("the server is shutting down"));
    }
}
