using Sapling.Distributed;

namespace Sapling.Cli.Config;

/// <summary>The optional <c>distributed:</c> section: how data-parallel ranks synchronise gradients.</summary>
public static class DistributedConfig
{
    /// <summary>Reads the section; call it before the task's binder, which rejects keys nobody asked for.</summary>
    public static DataParallelOptions Bind(ConfigTree c)
    {
        var defaults = new DataParallelOptions();
        var options = new DataParallelOptions
        {
            BucketMegabytes = c.Get("distributed.bucket_mb", defaults.BucketMegabytes),
            Overlap = c.Get("distributed.overlap", defaults.Overlap),
            FailRank = c.Get("distributed.fail_rank", defaults.FailRank),
            FailStep = c.Get("distributed.fail_step", defaults.FailStep),
        };
        using (OptionNames.Use(c.OptionName)) options.Validate();
        return options;
    }
}
