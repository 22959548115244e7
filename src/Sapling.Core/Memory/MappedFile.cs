using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Sapling.Memory;

/// <summary>
/// A whole file in memory, read-only to its storages: mapped (<see cref="Open"/>) or read into one private region
/// (<see cref="Read"/>). Tensors made with <see cref="Storage"/> read their elements where the file's bytes are. The
/// memory lives until this object and every storage over it are disposed (or left to the GC).
/// </summary>
/// <remarks>
/// A mapping costs page cache, not heap: the operating system pages the file in on first use and may drop it again
/// under memory pressure. Its pages are 4 KB, though, and streaming a model's weights through them once per token
/// meets a page boundary every 4 KB, where the hardware prefetchers stop, and a TLB miss per page. The read form puts
/// the file in one region aligned to 2 MB and, on Linux, advises transparent huge pages for it: decoding TinyLlama's
/// Q4_K_M file reads its weights about 20% faster that way (docs/benchmarks.md).
/// </remarks>
public sealed unsafe class MappedFile : IDisposable
{
    private const int HugePage = 2 << 20;
    private const int MadviseHugePage = 14; // MADV_HUGEPAGE

    private readonly MemoryMappedFile? map;
    private readonly MemoryMappedViewAccessor? view;
    private readonly byte* region;
    private int references = 1;
    private int disposed;

    private MappedFile(string path, long length, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* start)
    {
        (Path, Length, this.map, this.view) = (path, length, map, view);
        Start = start;
    }

    private MappedFile(string path, long length, byte* region)
    {
        (Path, Length) = (path, length);
        this.region = region;
        Start = region;
    }

    /// <summary>Frees the mapping or private region when this object and its storages were left to the GC.</summary>
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

    /// <summary>
    /// Reads <paramref name="path"/> whole into private memory aligned to 2 MB, advised for transparent huge pages on
    /// Linux (llama.cpp's --no-mmap). Costs resident memory the size of the file; the file may change afterwards.
    /// </summary>
    public static MappedFile Read(string path)
    {
        string fullPath = System.IO.Path.GetFullPath(path);
        using var handle = File.OpenHandle(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        long length = RandomAccess.GetLength(handle);
        if (length == 0) throw new InvalidDataException($"'{fullPath}' is empty");
        if (!FitsInMemory(length))
            throw new InsufficientMemoryException($"'{fullPath}' is {length / 1e9:F1} GB, more than 80% of the {Memory / 1e9:F1} GB of memory free now: map it instead of reading it");
        nuint capacity = checked((nuint)((length + HugePage - 1) / HugePage * HugePage));
        byte* region = (byte*)NativeMemory.AlignedAlloc(capacity, HugePage);
        try
        {
            // Advice only: where the kernel gives no huge pages, the region works on ordinary ones.
            if (OperatingSystem.IsLinux()) AdviseHugePages(region, capacity);
            // In pieces on every core: the first touch of each page (zeroing it, finding a huge page) is the kernel's
            // work and takes most of the time.
            const int Piece = 32 << 20;
            nint start = (nint)region;
            Backends.Cpu.CpuWorkers.For((int)((length + Piece - 1) / Piece), part =>
            {
                long end = Math.Min(length, (part + 1L) * Piece);
                for (long at = (long)part * Piece; at < end;)
                {
                    int read = RandomAccess.Read(handle, new Span<byte>((byte*)start + at, (int)(end - at)), at);
                    if (read == 0) throw new InvalidDataException($"'{fullPath}' ended at byte {at} while being read; it was {length} bytes when opened");
                    at += read;
                }
            });
        }
        catch
        {
            NativeMemory.AlignedFree(region);
            throw;
        }
        GC.AddMemoryPressure(length);
        return new MappedFile(fullPath, length, region);
    }

    /// <summary>
    /// Whether a file of <paramref name="length"/> bytes may be read into memory: at most 80% of the memory free now
    /// (Linux's MemAvailable, or the GC's view of the machine elsewhere; never more than the process's limit). Asked
    /// again for each file, so the shards of one model, or several models, count what was read before them.
    /// </summary>
    public static bool FitsInMemory(long length) => length <= Memory * 4 / 5;

    private static long Memory
    {
        get
        {
            var info = GC.GetGCMemoryInfo();
            long limit = info.TotalAvailableMemoryBytes, free = limit - info.MemoryLoadBytes;
            if (OperatingSystem.IsLinux() && LinuxMemAvailable() is long available) free = available;
            return Math.Min(limit, Math.Max(0, free));
        }
    }

    /// <summary>MemAvailable from /proc/meminfo (free memory plus what the kernel can reclaim), or null if unreadable.</summary>
    private static long? LinuxMemAvailable()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return parts.Length >= 2 && long.TryParse(parts[1], out long kb) ? kb * 1024 : null;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return null;
    }

    /// <summary>True for a file read into private memory (<see cref="Read"/>), whose bytes the loader may rearrange.</summary>
    public bool IsPrivateCopy => region != null;

    /// <summary>
    /// The bytes [offset, offset + length) of a file read into private memory, writable, for a loader that rearranges a
    /// tensor in place before any storage reads it (llama.cpp's q/k row order, for instance). A mapped file has none.
    /// </summary>
    public Span<byte> WritableBytes(long offset, int length)
    {
        if (region == null) throw new InvalidOperationException($"'{Path}' is mapped read-only; only a file read into memory can be rearranged in place");
        CheckRange(offset, length);
        return new Span<byte>(Start + offset, length);
    }

    private static void AdviseHugePages(byte* region, nuint capacity)
    {
        try
        {
            _ = Madvise(region, capacity, MadviseHugePage);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // A C library without madvise: ordinary pages.
        }
    }

    [DllImport("libc", EntryPoint = "madvise")]
    private static extern int Madvise(void* address, nuint length, int advice);

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
        if (region != null)
        {
            NativeMemory.AlignedFree(region);
            GC.RemoveMemoryPressure(Length);
            return;
        }
        view!.SafeMemoryMappedViewHandle.ReleasePointer();
        view.Dispose();
        map!.Dispose();
    }

    private void CheckRange(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset > Length - length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"bytes {offset}..{offset + length} lie outside '{Path}' ({Length} bytes)");
    }
}
