namespace Sapling.Data.Vision;

/// <summary>What to do with a file that cannot be decoded.</summary>
public enum UnreadableImages
{
    /// <summary>Leave the file out and list it in <see cref="ImageFolder.Skipped"/>.</summary>
    Skip,

    /// <summary>Stop with an error naming the file.</summary>
    Fail,
}
