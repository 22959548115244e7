using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text.Json;

namespace Sapling.IO;

/// <summary>
/// A nanoGPT-style token file: raw little-endian uint16 (or uint32) ids, memory-mapped so a corpus larger than memory
/// trains without being read in; windows are copied out as they are sampled. The raw files carry no header, so the
/// width comes from the caller or from the <c>tokens.json</c> that <see cref="Write"/> leaves beside them.
/// </summary>
public sealed unsafe class TokenFile : IDisposable
{
    /// <summary>The description written beside token files: their width and vocabulary.</summary>
    public const string DescriptionFile = "tokens.json";

    private readonly MemoryMappedFile file;
    private readonly MemoryMappedViewAccessor view;
    private readonly byte* start;

    /// <param name="width">The id width; when null, read from <c>tokens.json</c> beside the file, else uint16.</param>
    public TokenFile(string path, TokenWidth? width = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"token file '{path}' not found", path);
        Width = width ?? DescribedWidth(path) ?? TokenWidth.UInt16;
        int size = (int)Width;
        long bytes = new FileInfo(path).Length;
        if (bytes % size != 0) throw new InvalidDataException($"{path}: {bytes} bytes is not a whole number of {Name(Width)} tokens");
        if (bytes == 0) throw new InvalidDataException($"{path}: the token file is empty");
        Path = path;
        Length = bytes / size;
        file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        start = pointer + view.PointerOffset;
    }

    /// <summary>The path of the file, as given.</summary>
    public string Path { get; }
    /// <summary>The number of tokens in the file.</summary>
    public long Length { get; }
    /// <summary>The width the ids are read in.</summary>
    public TokenWidth Width { get; }

    /// <summary>The ids at <paramref name="offset"/>, widened into <paramref name="into"/> (its length is the count).</summary>
    public void Read(long offset, Span<long> into)
    {
        if (offset < 0 || offset + into.Length > Length) throw new ArgumentOutOfRangeException(nameof(offset), $"{Path}: tokens {offset}..{offset + into.Length} are outside the file's {Length}");
        if (Width == TokenWidth.UInt16)
        {
            var ids = new ReadOnlySpan<ushort>(start + offset * 2, into.Length);
            for (int i = 0; i < ids.Length; i++) into[i] = ids[i];
        }
        else
        {
            var ids = new ReadOnlySpan<uint>(start + offset * 4, into.Length);
            for (int i = 0; i < ids.Length; i++) into[i] = ids[i];
        }
    }

    /// <summary>Every id of the file (for validation streams and evaluation, which are small enough to hold).</summary>
    public long[] ReadAll()
    {
        if (Length > Array.MaxLength) throw new InvalidDataException($"{Path}: {Length:N0} tokens are too many to read into memory at once");
        var all = new long[Length];
        Read(0, all);
        return all;
    }

    /// <summary>The narrowest width that holds every id of a vocabulary.</summary>
    public static TokenWidth WidthFor(int vocabSize) => vocabSize <= ushort.MaxValue + 1 ? TokenWidth.UInt16 : TokenWidth.UInt32;

    /// <summary>
    /// Writes ids atomically in the given width, by default the narrowest that
    /// holds the vocabulary, and records the width and vocabulary in <c>tokens.json</c> beside the file.
    /// </summary>
    public static TokenWidth Write(string path, IEnumerable<int> ids, int vocabSize, TokenWidth? width = null)
    {
        var chosen = width ?? WidthFor(vocabSize);
        if (chosen == TokenWidth.UInt16 && vocabSize > ushort.MaxValue + 1)
            throw new ArgumentException($"a vocabulary of {vocabSize} does not fit uint16 token files (at most 65536); use uint32");
        IO.AtomicFile.Write(path, file =>
        {
            Span<byte> buffer = stackalloc byte[4];
            foreach (int id in ids)
            {
                if ((uint)id >= (uint)vocabSize) throw new ArgumentOutOfRangeException(nameof(ids), $"token {id} is outside the vocabulary of {vocabSize}");
                if (chosen == TokenWidth.UInt16) BinaryPrimitives.WriteUInt16LittleEndian(buffer, (ushort)id);
                else BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)id);
                file.Write(buffer[..(int)chosen]); // the atomic writer's stream is buffered
            }
        });
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        var description = JsonSerializer.Serialize(new Dictionary<string, object> { ["dtype"] = Name(chosen), ["vocab_size"] = vocabSize });
        IO.AtomicFile.WriteAllText(System.IO.Path.Combine(folder, DescriptionFile), description);
        return chosen;
    }

    /// <summary>The width's name in <c>tokens.json</c>: "uint16" or "uint32".</summary>
    public static string Name(TokenWidth width) => width == TokenWidth.UInt16 ? "uint16" : "uint32";

    /// <summary>
    /// Reads a width name, case-insensitively: "uint16"/"u16" or "uint32"/"u32"; refuses anything else.
    /// </summary>
    public static TokenWidth Parse(string name) => name.ToLowerInvariant() switch
    {
        "uint16" or "u16" => TokenWidth.UInt16,
        "uint32" or "u32" => TokenWidth.UInt32,
        _ => throw new ArgumentException($"token dtype '{name}' is not one of uint16, uint32"),
    };

    private static TokenWidth? DescribedWidth(string path)
    {
        var description = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!, DescriptionFile);
        if (!File.Exists(description)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(description));
            return doc.RootElement.TryGetProperty("dtype", out var dtype) && dtype.GetString() is { } name ? Parse(name) : null;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{description}: not valid JSON ({e.Message})", e);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        view.SafeMemoryMappedViewHandle.ReleasePointer();
        view.Dispose();
        file.Dispose();
    }
}
