namespace Sapling;

/// <summary>
/// How messages about options name them. The library's option records name an option by its property
/// ("LearningRate", "Lora.Rank"), as a C# caller set it; a caller that knows where options came from (the CLI, which
/// read them from a config file) installs its own names for the work it starts ("train.lr", "lora.r"), so the same
/// message tells each reader what to change.
/// </summary>
public static class OptionNames
{
    private static readonly AsyncLocal<Func<string, string>?> Current = new();

    /// <summary>The name of <paramref name="option"/> (a property path of an option record) for messages.</summary>
    public static string Of(string option) => Current.Value?.Invoke(option) ?? option;

    /// <summary>Names options by <paramref name="names"/> in this flow of execution (and what it starts) until disposed.</summary>
    public static IDisposable Use(Func<string, string> names)
    {
        var previous = Current.Value;
        Current.Value = names;
        return new Restore(previous);
    }

    /// <summary>
    /// Names the options of a record nested in another by their path from the outer one (<c>Within("Lora")</c>: "Rank"
    /// is named as "Lora.Rank" is), until disposed.
    /// </summary>
    public static IDisposable Within(string property)
    {
        var outer = Current.Value;
        return Use(option => outer?.Invoke(property + "." + option) ?? property + "." + option);
    }

    private sealed class Restore(Func<string, string>? previous) : IDisposable
    {
        public void Dispose() => Current.Value = previous;
    }
}
