using System.IO.MemoryMappedFiles;

namespace Sapling.Training;

/// <summary>
/// A nanoGPT-style token file: raw little-endian uint16 ids, memory-mapped so a corpus larger than memory trains
/// without being read in; windows are copied out as they are sampled.
/// </summary>
public sealed unsafe class TokenFile : IDisposable
{
    private readonly MemoryMappedFile file;
    private readonly MemoryMappedViewAccessor view;
    private readonly byte* start;

    public TokenFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"token file '{path}' not found", path);
        long bytes = new FileInfo(path).Length;
        if (bytes % 2 != 0) throw new InvalidDataException($"{path}: {bytes} bytes is not a whole number of uint16 tokens");
        if (bytes == 0) throw new InvalidDataException($"{path}: the token file is empty");
        Path = path;
        Length = bytes / 2;
        file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        start = pointer + view.PointerOffset;
    }

    public string Path { get; }
    public long Length { get; }

    public ReadOnlySpan<ushort> Slice(long offset, int count)
    {
        if (offset < 0 || offset + count > Length) throw new ArgumentOutOfRangeException(nameof(offset), $"{Path}: tokens {offset}..{offset + count} are outside the file's {Length}");
        return new ReadOnlySpan<ushort>(start + offset * 2, count);
    }

    /// <summary>Writes ids as uint16 (atomically: a temporary file renamed into place).</summary>
    public static void Write(string path, IEnumerable<int> ids, int vocabSize)
    {
        if (vocabSize > ushort.MaxValue + 1) throw new ArgumentException($"a vocabulary of {vocabSize} does not fit uint16 token files (at most 65536)");
        var temp = path + ".partial";
        using (var stream = new BufferedStream(File.Create(temp)))
        {
            Span<byte> two = stackalloc byte[2];
            foreach (int id in ids)
            {
                if ((uint)id >= (uint)vocabSize) throw new ArgumentOutOfRangeException(nameof(ids), $"token {id} is outside the vocabulary of {vocabSize}");
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(two, (ushort)id);
                stream.Write(two);
            }
        }
        File.Move(temp, path, overwrite: true);
    }

    public void Dispose()
    {
        view.SafeMemoryMappedViewHandle.ReleasePointer();
        view.Dispose();
        file.Dispose();
    }
}
