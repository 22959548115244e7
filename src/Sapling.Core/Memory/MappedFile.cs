using System.IO.MemoryMappedFiles;

namespace Sapling.Memory;

/// <summary>
/// A whole file mapped read-only into memory. Tensors made with <see cref="Storage"/> read their elements where the
/// file has them: the operating system pages them in on first use and may drop them again under memory pressure, so
/// a model's weights cost page cache, not heap. The mapping lives until this object and every storage over it are
/// disposed (or left to the GC).
/// </summary>
public sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile map;
    private readonly MemoryMappedViewAccessor view;
    private int references = 1;
    private int disposed;

    private MappedFile(string path, long length, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* start)
    {
        (Path, Length, this.map, this.view) = (path, length, map, view);
        Start = start;
    }

    ~MappedFile() => Unmap();

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <summary>The file's size in bytes.</summary>
    public long Length { get; }

    /// <summary>The first byte of the file.</summary>
    internal byte* Start { get; }

    /// <summary>Maps <paramref name="path"/> read-only. An empty file cannot be mapped and is refused by name.</summary>
    public static MappedFile Open(string path)
    {
        string fullPath = System.IO.Path.GetFullPath(path);
        var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read);
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        bool acquired = false;
        try
        {
            long length = stream.Length;
            if (length == 0) throw new InvalidDataException($"'{fullPath}' is empty");
            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* start = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            acquired = true;
            return new MappedFile(fullPath, length, map, view, start + view.PointerOffset);
        }
        catch
        {
            if (acquired) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            map?.Dispose();
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The bytes [offset, offset + length) of the file.</summary>
    public ReadOnlySpan<byte> Bytes(long offset, int length)
    {
        CheckRange(offset, length);
        return new ReadOnlySpan<byte>(Start + offset, length);
    }

    /// <summary>
    /// A storage of <paramref name="length"/> elements of <paramref name="dtype"/> starting at byte
    /// <paramref name="offset"/>; it keeps the mapping alive. Unaligned starts are allowed (x64 and Arm64 load
    /// unaligned elements).
    /// </summary>
    public MappedStorage Storage(long offset, DType dtype, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        CheckRange(offset, dtype.StorageBytes(length));
        if (Interlocked.Increment(ref references) <= 1)
            throw new ObjectDisposedException(Path, $"the mapping of '{Path}' was used after it was closed");
        return new MappedStorage(this, Start + offset, dtype, length);
    }

    /// <summary>Gives up the opener's hold; the mapping stays while storages over it live.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1) return;
        Release();
    }

    internal void Release()
    {
        if (Interlocked.Decrement(ref references) != 0) return;
        Unmap();
        GC.SuppressFinalize(this);
    }

    private void Unmap()
    {
        view.SafeMemoryMappedViewHandle.ReleasePointer();
        view.Dispose();
        map.Dispose();
    }

    private void CheckRange(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset > Length - length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"bytes {offset}..{offset + length} lie outside '{Path}' ({Length} bytes)");
    }
}
