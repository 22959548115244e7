using System.Text.Json;

namespace Sapling.Training.Runs;

/// <summary>JSON options that write NaN/Infinity as named literals instead of failing (a diverged loss must still be logged).</summary>
public static class JsonNumbers
{
    public static readonly JsonSerializerOptions Options = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true };
}
