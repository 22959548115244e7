namespace Sapling.IO;

/// <summary>
/// A safetensors file breaks the format. The message always names the file, because a model folder holds many shards.
/// It derives from <see cref="IOException"/> (the sealed <see cref="InvalidDataException"/> cannot be a base) so code
/// that already handles unreadable files handles corrupt ones too.
/// </summary>
public sealed class SafeTensorsFormatException : IOException
{
    /// <summary>
    /// Creates the exception; the message is "'<paramref name="filePath"/>' is not a valid safetensors file:
    /// <paramref name="problem"/>".
    /// </summary>
    public SafeTensorsFormatException(string filePath, string problem, Exception? inner = null)
        : base($"'{filePath}' is not a valid safetensors file: {problem}", inner)
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>The file that failed to parse.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong, without the file name (for callers that format their own message).</summary>
    public string Problem { get; }
}
