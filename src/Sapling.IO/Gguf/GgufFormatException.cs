namespace Sapling.IO.Gguf;

/// <summary>A GGUF file breaks the format or holds what Sapling does not read; the message names the file and the key or tensor.</summary>
public sealed class GgufFormatException : IOException
{
    /// <summary>
    /// Creates the exception; the message is "'<paramref name="filePath"/>' is not a GGUF file Sapling can read:
    /// <paramref name="problem"/>".
    /// </summary>
    public GgufFormatException(string filePath, string problem, Exception? inner = null)
        : base($"'{filePath}' is not a GGUF file Sapling can read: {problem}", inner)
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>The file that failed to parse.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Problem { get; }
}
