using System.Diagnostics;

namespace Sapling.Distributed;

/// <summary>
/// Keeps the gradients of replicas of one model equal across the ranks of a group (PyTorch's
/// DistributedDataParallel, without wrapping the model): a hook on every parameter copies its gradient into a bucket
/// as soon as backward has finished it, and a full bucket is all-reduced (summed) on a communication thread while
/// backward computes the rest. <see cref="FinishGradientSync"/>, after backward, waits for the last bucket and writes
/// the sums back into the gradients. The caller weights each rank's loss by its share of the global batch, so the sum
/// is the gradient of the global batch's mean loss. Between the first backward that syncs and FinishGradientSync the
/// communication thread may be inside a collective, so the caller must start no collective of its own there.
/// </summary>
public sealed class DataParallel : IDisposable
{
    private readonly IProcessGroup group;
    private readonly IReadOnlyList<Tensor> parameters;
    private readonly GradientBuckets buckets;
    private readonly float[][] buffers;
    private readonly bool[] copied;
    private readonly int[] pending;
    private readonly ManualResetEventSlim[] ready;
    private readonly ManualResetEventSlim stepDone = new(false);
    private readonly Thread? worker;
    private readonly List<IDisposable> hooks = [];
    private volatile bool stopping;
    private Exception? workerFailure;
    private long allReduceTicks, waitTicks;

    /// <summary>
    /// Creates the synchroniser and hooks every parameter's gradient. Every rank must pass the same parameters in the
    /// same order; the replicas should start equal (see <see cref="BroadcastFromRankZero"/>).
    /// </summary>
    public DataParallel(IProcessGroup group, IReadOnlyList<Tensor> parameters, DataParallelOptions? options = null)
    {
        options ??= new DataParallelOptions();
        options.Validate();
        this.group = group;
        this.parameters = parameters;
        buckets = new GradientBuckets(parameters.Select(p => (int)p.NumEl).ToArray(), (long)(options.BucketMegabytes * 1024 * 1024));
        buffers = buckets.BucketLengths.Select(n => new float[n]).ToArray();
        copied = new bool[parameters.Count];
        pending = buckets.ParametersPerBucket.ToArray();
        ready = buckets.BucketLengths.Select(_ => new ManualResetEventSlim(false)).ToArray();
        Overlapped = options.Overlap && group.SupportsCallsFromOtherThreads;
        for (int i = 0; i < parameters.Count; i++)
        {
            int index = i;
            hooks.Add(parameters[i].RegisterPostAccumulateGradHook(_ => OnGradientReady(index)));
        }
        if (Overlapped)
        {
            worker = new Thread(AllReduceLoop) { IsBackground = true, Name = "sapling all-reduce" };
            worker.Start();
        }
    }

    /// <summary>
    /// Whether the coming backward's gradients are all-reduced as they become ready; false during the micro-batches
    /// of a gradient-accumulation group before its last (PyTorch's no_sync), whose gradients only add up locally.
    /// </summary>
    public bool SyncGradients { get; set; } = true;

    /// <summary>Whether all-reduce runs during backward (false: after it, on the caller's thread).</summary>
    public bool Overlapped { get; }

    /// <summary>Number of gradient buckets, i.e. all-reduce calls per synchronised backward.</summary>
    public int BucketCount => buckets.Count;

    /// <summary>Time inside all-reduce calls, overlapped or not.</summary>
    public TimeSpan AllReduceTime => TimeSpan.FromTicks(Interlocked.Read(ref allReduceTicks) * TimeSpan.TicksPerSecond / Stopwatch.Frequency);

    /// <summary>Time the training thread waited in <see cref="FinishGradientSync"/>: the communication not hidden behind backward.</summary>
    public TimeSpan WaitTime => TimeSpan.FromTicks(waitTicks * TimeSpan.TicksPerSecond / Stopwatch.Frequency);

    /// <summary>
    /// After the last backward of an optimiser step: all-reduces whatever was not yet sent (parameters whose hook did
    /// not fire: unused in this step, or a rank whose shard of the batch was empty) and replaces every gradient with
    /// the sum over ranks. A parameter without a gradient here gets one when another rank had one.
    /// </summary>
    public void FinishGradientSync()
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < parameters.Count; i++)
            if (!copied[i]) CopyIn(i);
        if (Overlapped)
        {
            stepDone.Wait();
            stepDone.Reset();
            if (workerFailure is { } failure) throw new InvalidOperationException($"all-reduce of gradients failed: {failure.Message}", failure);
        }
        else
        {
            foreach (var buffer in buffers) TimedAllReduce(buffer);
        }
        waitTicks += Stopwatch.GetTimestamp() - start;
        using var _ = Autograd.NoGrad.Enter();
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            var slot = buckets.Slots[i];
            var sum = buffers[slot.Bucket].AsSpan(slot.Offset, slot.Length);
            if (p.Grad == null)
            {
                if (!sum.ContainsAnyExcept(0f)) continue;
                p.Grad = Tensor.Zeros(p.Shape.ToArray()).KeepAlive();
            }
            if (!p.Grad.IsContiguous) throw new InvalidOperationException("data-parallel training needs contiguous gradients");
            sum.CopyTo(p.Grad.AsSpan());
        }
        Array.Clear(copied);
        buckets.ParametersPerBucket.ToArray().CopyTo(pending, 0);
    }

    /// <summary>
    /// Makes every rank's tensors equal to rank 0's (parameters and optimiser state at the start, so that replicas
    /// begin identical whatever their own initialisation). All ranks must pass tensors of the same shapes in the same order.
    /// </summary>
    public static void BroadcastFromRankZero(IProcessGroup group, IReadOnlyList<Tensor> tensors)
    {
        if (group.Size == 1) return;
        Span<long> mine = [tensors.Count, tensors.Sum(t => t.NumEl)];
        var all = new long[2 * group.Size];
        group.AllGather(mine, all);
        for (int r = 1; r < group.Size; r++)
            if (all[2 * r] != all[0] || all[2 * r + 1] != all[1])
                throw new InvalidOperationException($"rank {r} holds {all[2 * r]} tensors of {all[2 * r + 1]} values to synchronise, rank 0 holds {all[0]} of {all[1]}: the ranks were not set up alike");
        foreach (var t in tensors)
        {
            if (!t.IsContiguous) throw new InvalidOperationException("only contiguous tensors can be broadcast");
            switch (t.DType)
            {
                case DType.Float32: group.Broadcast(t.AsSpan<float>()); break;
                case DType.Int64: group.Broadcast(t.AsSpan<long>()); break;
                case DType.Int32: group.Broadcast(t.AsSpan<int>()); break;
                default: throw new InvalidOperationException($"broadcasting {t.DType} tensors is not supported");
            }
        }
    }

    private void OnGradientReady(int index)
    {
        if (SyncGradients && !copied[index]) CopyIn(index);
    }

    private void CopyIn(int index)
    {
        var slot = buckets.Slots[index];
        var target = buffers[slot.Bucket].AsSpan(slot.Offset, slot.Length);
        var grad = parameters[index].Grad;
        if (grad == null) target.Clear();
        else if (grad.IsContiguous) grad.AsSpan().CopyTo(target);
        else throw new InvalidOperationException("data-parallel training needs contiguous gradients");
        copied[index] = true;
        if (--pending[slot.Bucket] == 0 && Overlapped) ready[slot.Bucket].Set();
    }

    // Buckets go out strictly in order: MPI requires every rank to call collectives in the same sequence, and the
    // order in which hooks fire is an implementation detail of the backward engine.
    private void AllReduceLoop()
    {
        while (true)
        {
            for (int b = 0; b < buffers.Length; b++)
            {
                ready[b].Wait();
                if (stopping) return;
                ready[b].Reset();
                try
                {
                    TimedAllReduce(buffers[b]);
                }
                catch (Exception e)
                {
                    workerFailure ??= e;
                }
            }
            stepDone.Set();
        }
    }

    private void TimedAllReduce(float[] buffer)
    {
        long start = Stopwatch.GetTimestamp();
        group.AllReduceSum(buffer);
        Interlocked.Add(ref allReduceTicks, Stopwatch.GetTimestamp() - start);
    }

    /// <summary>Removes the gradient hooks and stops the communication thread.</summary>
    public void Dispose()
    {
        foreach (var hook in hooks) hook.Dispose();
        hooks.Clear();
        stopping = true;
        foreach (var e in ready) e.Set();
        worker?.Join();
        foreach (var e in ready) e.Dispose();
        stepDone.Dispose();
    }
}
