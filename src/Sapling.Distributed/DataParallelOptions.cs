namespace Sapling.Distributed;

/// <summary>How gradients are synchronised across ranks.</summary>
public sealed record DataParallelOptions
{
    /// <summary>Approximate size of one all-reduce call (PyTorch DDP's bucket_cap_mb, 25 by default).</summary>
    public double BucketMegabytes { get; init; } = 25;

    /// <summary>
    /// All-reduce each bucket on a communication thread as soon as backward has finished its gradients (needs an MPI
    /// that allows calls from a second thread); false all-reduces every bucket after backward, on the caller's thread.
    /// </summary>
    public bool Overlap { get; init; } = true;

    /// <summary>For fault tests: this rank throws at optimiser step <see cref="FailStep"/>.</summary>
    public int? FailRank { get; init; }

    /// <summary>
    /// Config key <c>distributed.fail_step</c>: the optimiser step (from 1) at which <see cref="FailRank"/> throws
    /// (default 1).
    /// </summary>
    public long FailStep { get; init; } = 1;

    /// <summary>Refuses settings no run can use; messages name each option through <see cref="OptionNames"/>.</summary>
    public void Validate()
    {
        static string N(string option) => OptionNames.Of(option);
        if (!(BucketMegabytes > 0)) throw new ArgumentException($"{N(nameof(BucketMegabytes))} must be positive, got {BucketMegabytes}");
        if (FailStep < 1) throw new ArgumentException($"{N(nameof(FailStep))} must be ≥ 1, got {FailStep}");
    }
}
