namespace Sapling.IO;

/// <summary>
/// Where library code reports what is suspicious but not fatal (Python's warnings module): by default a
/// "warning: ..." line on standard error; a program or test may route them elsewhere.
/// </summary>
public static class Warnings
{
    /// <summary>
    /// Receives each warning's message (without the "warning: " prefix); the default writes it to standard error.
    /// </summary>
    public static Action<string> Handler { get; set; } = message => Console.Error.WriteLine("warning: " + message);

    /// <summary>Reports <paramref name="message"/> through <see cref="Handler"/>.</summary>
    public static void Warn(string message) => Handler(message);

    /// <summary>Warns once for each tensor of <paramref name="path"/> that holds NaN or infinity, naming it.</summary>
    public static void WarnNonFinite(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        foreach (var (name, tensor) in tensors)
            if (!tensor.AllFinite()) Warn($"{path}: tensor '{name}' holds NaN or infinite values; the model's outputs will not be usable");
    }
}
