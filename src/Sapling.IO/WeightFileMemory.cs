using Sapling.Memory;

namespace Sapling.IO;

/// <summary>How a weight file's bytes come into memory: mapped, or read whole into memory where it fits.</summary>
internal static class WeightFileMemory
{
    /// <summary>
    /// The file read into memory when <paramref name="inMemory"/> is set and it fits (<see cref="MappedFile.Read"/>),
    /// otherwise mapped; a file too large for the memory free now is mapped with a warning, so the default loading still
    /// works for it.
    /// </summary>
    public static MappedFile Open(string fullPath, bool inMemory)
    {
        if (!inMemory) return MappedFile.Open(fullPath);
        long length = new FileInfo(fullPath).Length;
        if (MappedFile.FitsInMemory(length)) return MappedFile.Read(fullPath);
        Warnings.Warn($"'{fullPath}' ({length / 1e9:F1} GB) does not fit in the memory free now; its weights are used from a memory mapping instead");
        return MappedFile.Open(fullPath);
    }
}
