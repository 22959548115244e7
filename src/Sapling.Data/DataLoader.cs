using System.Collections.Concurrent;

namespace Sapling.Data;

/// <summary>
/// Batches a dataset, shuffling with a seeded order that depends only on (seed, epoch) — so a resumed run sees the same
/// batches as an uninterrupted one — and preparing the next batches on a background thread while the model trains.
/// </summary>
public sealed class DataLoader
{
    /// <summary>
    /// Creates a loader over <paramref name="dataset"/>; throws when the batch size is not positive or the dataset is
    /// empty.
    /// </summary>
    /// <param name="dataset">The examples; must not be empty.</param>
    /// <param name="batchSize">Examples per global batch (before sharding).</param>
    /// <param name="shuffle">Whether each epoch visits the examples in a new seeded order instead of 0..N-1.</param>
    /// <param name="seed">Seeds the shuffle, together with the epoch number.</param>
    /// <param name="lastBatch">Whether a short last batch is kept or dropped.</param>
    /// <param name="transform">Optional augmentation applied to each batch's inputs; see
    /// <see cref="Transform"/>.</param>
    /// <param name="prefetch">Batches built ahead on a background thread; 0 builds each on demand (negative counts as
    /// 0).</param>
    /// <param name="shard">This process's part of each batch in data-parallel training; the whole batch when
    /// null.</param>
    public DataLoader(IDataset dataset, int batchSize, bool shuffle = false, ulong seed = 0, LastBatch lastBatch = LastBatch.Keep,
        Func<Tensor, Generator, Tensor>? transform = null, int prefetch = 2, BatchShard? shard = null)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"DataLoader: batch size must be positive, got {batchSize}");
        if (dataset.Count == 0) throw new ArgumentException("DataLoader: the dataset is empty");
        (Dataset, BatchSize, Shuffle, Seed, LastBatchPolicy, Transform, Prefetch) = (dataset, batchSize, shuffle, seed, lastBatch, transform, Math.Max(0, prefetch));
        Shard = shard ?? BatchShard.Whole;
    }

    /// <summary>The dataset batches are drawn from.</summary>
    public IDataset Dataset { get; }
    /// <summary>Examples per global batch (all shards together).</summary>
    public int BatchSize { get; }
    /// <summary>Whether the example order is shuffled each epoch.</summary>
    public bool Shuffle { get; }
    /// <summary>The shuffle seed; the order of an epoch depends only on it and the epoch number.</summary>
    public ulong Seed { get; }
    /// <summary>Whether a short last batch is kept or dropped.</summary>
    public LastBatch LastBatchPolicy { get; }

    /// <summary>Applied to each batch's inputs (augmentation) with a generator of its own; must return a tensor of the same shape.</summary>
    public Func<Tensor, Generator, Tensor>? Transform { get; }

    /// <summary>How many batches are built ahead on a background thread (0: none, built on demand).</summary>
    public int Prefetch { get; }

    /// <summary>
    /// The part of every batch this loader yields (data-parallel training); the batch size, the order and the number of
    /// batches stay those of the whole, so every rank steps in lock step through the same global batches.
    /// </summary>
    public BatchShard Shard { get; }

    /// <summary>Examples in global batch <paramref name="batch"/> over all shards (the last batch may be short).</summary>
    public int GlobalBatchSize(int batch) => Math.Min(BatchSize, Dataset.Count - batch * BatchSize);

    /// <summary>
    /// Global batches per epoch: ⌈N / BatchSize⌉, or ⌊N / BatchSize⌋ when the last batch is dropped (0 when the dataset
    /// is smaller than a batch).
    /// </summary>
    public int BatchesPerEpoch => LastBatchPolicy == LastBatch.Drop ? Dataset.Count / BatchSize : (Dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>The example order of an epoch: a Fisher-Yates shuffle seeded by (seed, epoch), or 0..N-1.</summary>
    public long[] Order(int epoch)
    {
        var order = new long[Dataset.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        if (!Shuffle) return order;
        var g = new Generator(Seed * 0x9E3779B97F4A7C15UL + (ulong)epoch + 1);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = (int)g.NextInt64(0, i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>
    /// The batches of one epoch, starting at batch <paramref name="skipBatches"/> (to resume mid-epoch). Batches
    /// come out already built; the caller owns them (dispose, or let a TensorScope take them).
    /// </summary>
    public IEnumerable<(Tensor Inputs, Tensor Labels)> Epoch(int epoch, int skipBatches = 0)
    {
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), $"DataLoader: epoch must be ≥ 0, got {epoch}");
        int count = BatchesPerEpoch;
        if (skipBatches < 0 || skipBatches > count) throw new ArgumentOutOfRangeException(nameof(skipBatches), $"DataLoader: cannot skip {skipBatches} of {count} batches");
        var order = Order(epoch);
        if (Prefetch == 0)
        {
            for (int b = skipBatches; b < count; b++) yield return Build(order, epoch, b);
            yield break;
        }
        using var queue = new BlockingCollection<(Tensor, Tensor)?>(Prefetch);
        using var cancel = new CancellationTokenSource();
        Exception? failure = null;
        var producer = Task.Run(() =>
        {
            try
            {
                for (int b = skipBatches; b < count && !cancel.IsCancellationRequested; b++) queue.Add(Build(order, epoch, b), cancel.Token);
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                queue.CompleteAdding();
            }
        });
        try
        {
            foreach (var item in queue.GetConsumingEnumerable())
            {
                if (item is { } batch) yield return batch;
            }
            if (failure != null) throw new InvalidOperationException($"DataLoader: building a batch failed: {failure.Message}", failure);
        }
        finally
        {
            cancel.Cancel();
            producer.Wait();
        }
    }

    private (Tensor, Tensor) Build(long[] order, int epoch, int batch)
    {
        int start = batch * BatchSize;
        var (offset, size) = Shard.Range(Math.Min(BatchSize, order.Length - start));
        var (x, y) = Dataset.GetBatch(order.AsSpan(start + offset, size));
        // Each batch gets its own generator derived from (seed, epoch, batch): augmentation is reproducible whichever
        // thread builds the batch, and a resumed run draws the same random transforms. Ranks after the first mix in
        // their rank so that two shards of one batch do not receive the same sequence of transforms.
        ulong rankSalt = Shard.Rank == 0 ? 0 : (ulong)Shard.Rank * 0xD1B5_4A32_D192_ED03UL;
        if (Transform != null && size > 0) x = Transform(x, new Generator(Seed * 0x9E3779B97F4A7C15UL ^ ((ulong)epoch << 32) ^ (ulong)batch ^ 0xA5A5_5A5A_0000_0000UL ^ rankSalt));
        // Batches are built off the training thread's TensorScope; the consumer decides their lifetime.
        x.KeepAlive();
        y.KeepAlive();
        return (x, y);
    }
}
