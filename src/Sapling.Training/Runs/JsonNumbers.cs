using System.Text.Json;

namespace Sapling.Training.Runs;

/// <summary>JSON options that write NaN/Infinity as named literals instead of failing (a diverged loss must still be logged).</summary>
public static class JsonNumbers
{
    /// <summary>Compact options, one record per line (metrics.jsonl).</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary><see cref="Options"/>, indented, for human-readable files such as results.json.</summary>
    public static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true };
}
