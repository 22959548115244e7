namespace Sapling.Data.Vision.Codecs;

/// <summary>An image file is malformed, truncated or uses a feature the decoder does not support; the message names the file.</summary>
/// <remarks>Derives from <see cref="IOException"/> because <see cref="InvalidDataException"/> is sealed; a loader that skips
/// unreadable files can then catch missing and corrupt files alike.</remarks>
public sealed class ImageFormatException : IOException
{
    /// <summary>Creates the exception with <paramref name="message"/>, which should name the file.</summary>
    public ImageFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with <paramref name="message"/> and the error that caused it.</summary>
    public ImageFormatException(string message, Exception inner) : base(message, inner) { }

    internal static ImageFormatException For(string name, string format, string problem) => new($"{name}: {format}: {problem}");
}
