using System.Buffers.Binary;
using System.Text;
using Sapling.Memory;
using Sapling.Quantization.Ggml;

namespace Sapling.IO.Gguf;

/// <summary>
/// An open GGUF file (llama.cpp's single-file model format, versions 2 and 3), memory-mapped read-only or read whole
/// into memory. Opening reads and checks the header, the metadata and the tensor table; tensors are then used where the
/// file's bytes are (<see cref="Map"/>: quantised blocks stay quantised and are multiplied as such) or decoded to
/// float32 (<see cref="Load"/>).
/// </summary>
/// <remarks>
/// Every count and length in the file is checked against the bytes that remain before anything is allocated from it,
/// so a corrupt or hostile file is refused by name instead of exhausting memory.
/// </remarks>
public sealed unsafe class GgufFile : IDisposable
{
    /// <summary>"GGUF" read as a little-endian uint32.</summary>
    public const uint Magic = 0x46554747;

    /// <summary>ggml's default data alignment when general.alignment is absent.</summary>
    public const int DefaultAlignment = 32;

    // ggml tensors have at most four dimensions.
    private const int MaxDimensions = 4;

    private readonly MappedFile mapping;
    private readonly Dictionary<string, object> metadata;
    private readonly Dictionary<string, GgufValueType> metadataTypes;
    private readonly List<string> metadataKeys;
    private readonly List<GgufTensorInfo> tensors;
    private readonly Dictionary<string, GgufTensorInfo> byName;
    private readonly HashSet<string> reordered = new(StringComparer.Ordinal);
    private bool disposed;

    private GgufFile(MappedFile mapping, uint version, Dictionary<string, object> metadata, Dictionary<string, GgufValueType> types,
        List<string> keys, List<GgufTensorInfo> tensors, long dataOffset, int alignment)
    {
        (this.mapping, Version, this.metadata, metadataTypes, metadataKeys, this.tensors) = (mapping, version, metadata, types, keys, tensors);
        (DataOffset, Alignment) = (dataOffset, alignment);
        byName = new Dictionary<string, GgufTensorInfo>(StringComparer.Ordinal);
        foreach (var t in tensors) byName[t.Name] = t;
    }

    /// <summary>The path of the file as opened.</summary>
    public string Path => mapping.Path;

    /// <summary>The format version from the header (2 or 3).</summary>
    public uint Version { get; }

    /// <summary>Where the data section starts in the file (a multiple of <see cref="Alignment"/>).</summary>
    public long DataOffset { get; }

    /// <summary>
    /// The data alignment in bytes: general.alignment, or <see cref="DefaultAlignment"/> when the file does not set it.
    /// </summary>
    public int Alignment { get; }

    /// <summary>Metadata keys in file order.</summary>
    public IReadOnlyList<string> MetadataKeys => metadataKeys;

    /// <summary>Values: long (every integer type), double (floats), bool, string or <see cref="GgufArray"/>.</summary>
    public IReadOnlyDictionary<string, object> Metadata => metadata;

    /// <summary>The stored type of each metadata value.</summary>
    public IReadOnlyDictionary<string, GgufValueType> MetadataTypes => metadataTypes;

    /// <summary>Tensors in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors => tensors;

    /// <summary>Opens and checks <paramref name="path"/>; throws <see cref="GgufFormatException"/> naming what is wrong.</summary>
    /// <param name="inMemory">
    /// Read the whole file into memory advised for huge pages (<see cref="MappedFile.Read"/>, llama.cpp's --no-mmap)
    /// instead of mapping it (a file larger than the machine's memory is mapped all the same, with a warning): the
    /// weights then stream faster, and llama-layout q/k rows are reordered in place.
    /// </param>
    public static GgufFile Open(string path, bool inMemory = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        SafeTensors.RequireLittleEndian();
        string fullPath = System.IO.Path.GetFullPath(path);
        if (!File.Exists(fullPath)) throw new FileNotFoundException($"GGUF file '{fullPath}' does not exist", fullPath);
        long length = new FileInfo(fullPath).Length;
        if (length < 24) throw new GgufFormatException(fullPath, $"the file has {length} bytes, fewer than a GGUF header (24)");
        var mapping = WeightFileMemory.Open(fullPath, inMemory);
        try
        {
            return Parse(mapping);
        }
        catch
        {
            mapping.Dispose();
            throw;
        }
    }

    private static GgufFile Parse(MappedFile mapping)
    {
        var r = new Cursor(mapping);
        uint magic = r.U32("the magic number");
        if (magic != Magic)
            throw r.Fail($"it starts with bytes {magic & 0xFF:X2} {(magic >> 8) & 0xFF:X2} {(magic >> 16) & 0xFF:X2} {magic >> 24:X2}, not 'GGUF'");
        uint version = r.U32("the version");
        if (version is not (2 or 3))
            throw r.Fail(version == 1 ? "version 1 (from 2023, 32-bit counts) is not supported; convert it with a current llama.cpp"
                : (version & 0xFFFF) == 0 && version != 0 ? $"version {version} looks big-endian; only little-endian files are read"
                : $"version {version} is not supported (2 and 3 are)");
        long tensorCount = r.Count("the tensor count", minBytesEach: 8 + 4 + 8 + 4 + 8);
        long kvCount = r.Count("the metadata count", minBytesEach: 8 + 4 + 1);
        var metadata = new Dictionary<string, object>(StringComparer.Ordinal);
        var types = new Dictionary<string, GgufValueType>(StringComparer.Ordinal);
        var keys = new List<string>();
        for (long i = 0; i < kvCount; i++)
        {
            string key = r.String($"the name of metadata entry {i}");
            if (metadata.ContainsKey(key)) throw r.Fail($"metadata key '{key}' appears twice");
            var type = (GgufValueType)r.U32($"the type of '{key}'");
            metadata[key] = type == GgufValueType.Array ? r.Array(key) : r.Scalar(type, key);
            types[key] = type;
            keys.Add(key);
        }
        int alignment = DefaultAlignment;
        if (metadata.TryGetValue("general.alignment", out var a))
        {
            if (a is not long al || al <= 0 || al > 1 << 20 || (al & (al - 1)) != 0)
                throw r.Fail($"general.alignment is {a}, not a power of two up to 1 MiB");
            alignment = (int)al;
        }
        var tensors = new List<GgufTensorInfo>((int)Math.Min(tensorCount, 1 << 16));
        var names = new HashSet<string>(StringComparer.Ordinal);
        var offsets = new List<(string Name, long Offset, long Bytes)>();
        for (long i = 0; i < tensorCount; i++)
        {
            string name = r.String($"the name of tensor {i}");
            if (!names.Add(name)) throw r.Fail($"tensor '{name}' appears twice");
            uint dims = r.U32($"the dimension count of tensor '{name}'");
            if (dims == 0 || dims > MaxDimensions) throw r.Fail($"tensor '{name}' has {dims} dimensions (1 to {MaxDimensions} allowed)");
            var shape = new int[dims];
            long elements = 1;
            for (int d = 0; d < dims; d++)
            {
                ulong extent = r.U64($"dimension {d} of tensor '{name}'");
                if (extent == 0 || extent > int.MaxValue) throw r.Fail($"tensor '{name}' has dimension {d} of {extent} elements (1 to {int.MaxValue} supported)");
                shape[dims - 1 - d] = (int)extent;  // ggml lists the contiguous dimension first
                elements *= (long)extent;
                if (elements > int.MaxValue) throw r.Fail($"tensor '{name}' has more than {int.MaxValue} elements, more than one Sapling tensor holds");
            }
            uint typeNumber = r.U32($"the type of tensor '{name}'");
            var type = (GgmlType)typeNumber;
            if (!type.IsKnown() || type.ToDType() == null)
                throw r.Fail($"tensor '{name}' has ggml type {(type.IsKnown() ? type.Name() : typeNumber.ToString())}, which Sapling does not read (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K and Q6_K are read)");
            int block = type.BlockSize();
            if (shape[^1] % block != 0) throw r.Fail($"tensor '{name}' ({type.Name()}) has rows of {shape[^1]} elements, not a whole number of {block}-element blocks");
            ulong offset = r.U64($"the data offset of tensor '{name}'");
            if (offset % (ulong)alignment != 0) throw r.Fail($"tensor '{name}' starts at data offset {offset}, not a multiple of the alignment {alignment}");
            if (offset > (ulong)mapping.Length) throw r.Fail($"tensor '{name}' starts at data offset {offset}, beyond the end of the file ({mapping.Length} bytes)");
            long bytes = type.ByteCount(elements);
            tensors.Add(new GgufTensorInfo(name, shape, type, (long)offset, bytes));
        }
        long dataOffset = (r.Position + alignment - 1) / alignment * alignment;
        long dataBytes = mapping.Length - dataOffset;
        foreach (var t in tensors)
        {
            if (t.Offset > dataBytes - t.ByteCount)
                throw new GgufFormatException(mapping.Path, $"tensor '{t.Name}' needs bytes {t.Offset}..{t.Offset + t.ByteCount} of the data section, which has {Math.Max(0, dataBytes)} (the file is truncated or the offset is wrong)");
        }
        // Overlapping tensors are a corrupt table (llama.cpp's writer never produces them).
        var sorted = tensors.OrderBy(t => t.Offset).ToList();
        for (int i = 1; i < sorted.Count; i++)
            if (sorted[i].Offset < sorted[i - 1].Offset + sorted[i - 1].ByteCount)
                throw new GgufFormatException(mapping.Path, $"tensors '{sorted[i - 1].Name}' and '{sorted[i].Name}' overlap in the data section");
        return new GgufFile(mapping, version, metadata, types, keys, tensors, dataOffset, alignment);
    }

    /// <summary>Whether the file holds a tensor named <paramref name="name"/>.</summary>
    public bool Contains(string name) => byName.ContainsKey(name);

    /// <summary>
    /// The tensor table's entry for <paramref name="name"/>; throws <see cref="KeyNotFoundException"/> when absent.
    /// </summary>
    public GgufTensorInfo Info(string name) =>
        byName.TryGetValue(name, out var info) ? info : throw new KeyNotFoundException($"'{Path}' has no tensor '{name}'");

    /// <summary>
    /// The tensor in place in the mapped file, in its stored type (float32, float16, bfloat16 or a ggml block type):
    /// read-only; linear and embedding read it directly. It keeps the mapping alive after this object is disposed.
    /// </summary>
    public Tensor Map(string name)
    {
        ThrowIfDisposed();
        var info = Info(name);
        var storage = mapping.Storage(DataOffset + info.Offset, info.Type.ToDType()!.Value, (int)info.ElementCount);
        return Tensor.FromStorage(storage, info.Shape);
    }

    /// <summary>True when the file was read into memory (<c>inMemory</c>), so its tensors may be rearranged in place.</summary>
    public bool InMemory => mapping.IsPrivateCopy;

    /// <summary>
    /// Moves the rows of <paramref name="name"/> within the in-memory file: row r goes to <paramref name="destination"/>(r).
    /// For loaders that reorder a tensor before any storage reads it (llama.cpp's q/k rows back in Hugging Face's order);
    /// a tensor is reordered at most once per opened file.
    /// </summary>
    public void ReorderRows(string name, Func<int, int> destination)
    {
        ThrowIfDisposed();
        var info = Info(name);
        // A second reordering would scramble the rows again: each tensor is reordered at most once per opened file.
        if (!reordered.Add(name)) throw new InvalidOperationException($"tensor '{name}' of '{Path}' was already reordered");
        int rows = (int)info.Shape[0];
        var bytes = mapping.WritableBytes(DataOffset + info.Offset, checked((int)info.ByteCount));
        int rowBytes = bytes.Length / rows;
        // A plain array, not a pooled one: tensors of many megabytes should not stay in the shared pool after loading.
        var copy = bytes.ToArray();
        for (int r = 0; r < rows; r++)
            copy.AsSpan(r * rowBytes, rowBytes).CopyTo(bytes.Slice(destination(r) * rowBytes, rowBytes));
    }

    /// <summary>
    /// False when the tensor holds NaN or infinity: every element of a float type, every block's scales of a block
    /// type (<see cref="GgmlBlocks.AllFinite"/>). Reads the tensor's pages once.
    /// </summary>
    public bool AllFinite(string name)
    {
        ThrowIfDisposed();
        var info = Info(name);
        // Whole blocks, under 1 GB at a time (a span holds at most 2 GB).
        long chunk = (1L << 30) / info.Type.BlockBytes() * info.Type.BlockBytes();
        for (long at = 0; at < info.ByteCount; at += chunk)
        {
            int length = (int)Math.Min(chunk, info.ByteCount - at);
            if (!GgmlBlocks.AllFinite(info.Type, mapping.Bytes(DataOffset + info.Offset + at, length))) return false;
        }
        return true;
    }

    /// <summary>The tensor decoded to a new float32 tensor (block types dequantised as ggml does).</summary>
    public Tensor Load(string name)
    {
        ThrowIfDisposed();
        var info = Info(name);
        var result = Tensor.Uninitialized(DType.Float32, info.Shape);
        var destination = result.AsSpan<float>();
        int rowLength = info.Shape[^1];
        long rowBytes = info.Type.ByteCount(rowLength);
        long start = DataOffset + info.Offset;
        for (int row = 0; row < destination.Length / rowLength; row++)
            GgmlBlocks.Dequantize(info.Type, mapping.Bytes(start + row * rowBytes, (int)rowBytes), destination.Slice(row * rowLength, rowLength));
        return result;
    }

    /// <summary>The raw bytes of a tensor (for copying it unchanged into another file).</summary>
    public ReadOnlySpan<byte> Bytes(string name)
    {
        ThrowIfDisposed();
        var info = Info(name);
        return mapping.Bytes(DataOffset + info.Offset, checked((int)info.ByteCount));
    }

    // ---- typed metadata ----

    /// <summary>Whether the metadata has <paramref name="key"/>.</summary>
    public bool Has(string key) => metadata.ContainsKey(key);

    /// <summary>
    /// A string value; throws <see cref="GgufFormatException"/> when the key is missing or not a string.
    /// </summary>
    public string GetString(string key) => Get<string>(key, "a string");

    /// <summary>A string value, or null when the key is missing; refuses a value of another type.</summary>
    public string? GetStringOrNull(string key) => metadata.TryGetValue(key, out var v) ? v as string ?? throw WrongType(key, "a string") : null;

    /// <summary>
    /// An integer value of any width; throws <see cref="GgufFormatException"/> when the key is missing or not an
    /// integer.
    /// </summary>
    public long GetInteger(string key) => Get<long>(key, "an integer");

    /// <summary>
    /// An integer value of any width, or null when the key is missing; refuses a value of another type.
    /// </summary>
    public long? GetIntegerOrNull(string key) => metadata.TryGetValue(key, out var v) ? v is long l ? l : throw WrongType(key, "an integer") : null;

    /// <summary>A float (or an integer, which some writers store for whole numbers such as rope.freq_base).</summary>
    public double GetFloat(string key) => GetFloatOrNull(key) ?? throw new GgufFormatException(Path, $"metadata key '{key}' is missing");

    /// <summary>
    /// A float or integer value as a double, or null when the key is missing; refuses a value of another type.
    /// </summary>
    public double? GetFloatOrNull(string key) => metadata.TryGetValue(key, out var v)
        ? v switch { double d => d, long l => l, _ => throw WrongType(key, "a number") }
        : null;

    /// <summary>A bool value, or null when the key is missing; refuses a value of another type.</summary>
    public bool? GetBoolOrNull(string key) => metadata.TryGetValue(key, out var v) ? v is bool b ? b : throw WrongType(key, "a bool") : null;

    /// <summary>An array value, or null when the key is missing; refuses a value of another type.</summary>
    public GgufArray? GetArrayOrNull(string key) => metadata.TryGetValue(key, out var v) ? v as GgufArray ?? throw WrongType(key, "an array") : null;

    /// <summary>A string array (token texts, merges).</summary>
    public string[]? GetStringArrayOrNull(string key)
    {
        var a = GetArrayOrNull(key);
        if (a == null) return null;
        return a.Values as string[] ?? throw WrongType(key, "an array of strings");
    }

    private T Get<T>(string key, string what)
    {
        if (!metadata.TryGetValue(key, out var v)) throw new GgufFormatException(Path, $"metadata key '{key}' is missing");
        return v is T t ? t : throw WrongType(key, what);
    }

    private GgufFormatException WrongType(string key, string what) =>
        new(Path, $"metadata key '{key}' holds {metadataTypes[key]}, not {what}");

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(disposed, this);

    /// <summary>Gives up this object's hold on the mapping; tensors from <see cref="Map"/> keep it until they are disposed.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        mapping.Dispose();
    }

    /// <summary>Reads the header sequentially, checking every length against what is left of the file.</summary>
    private sealed class Cursor(MappedFile file)
    {
        // No key, token or template is anywhere near this long; a larger length is corruption.
        private const long MaxStringBytes = 64L << 20;

        public long Position { get; private set; }

        private long Remaining => file.Length - Position;

        public GgufFormatException Fail(string problem) => new(file.Path, problem);

        private ReadOnlySpan<byte> Take(int count, string what)
        {
            if (count > Remaining) throw Fail($"the file ends inside {what} (at byte {Position} of {file.Length})");
            var span = file.Bytes(Position, count);
            Position += count;
            return span;
        }

        public uint U32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));

        public ulong U64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));

        /// <summary>A count of items each at least <paramref name="minBytesEach"/> long: more than the file could hold is refused.</summary>
        public long Count(string what, int minBytesEach)
        {
            ulong n = U64(what);
            if (n > (ulong)(Remaining / minBytesEach)) throw Fail($"{what} is {n}, more than the {Remaining} remaining bytes could hold");
            return (long)n;
        }

        public string String(string what)
        {
            ulong n = U64(what);
            if (n > (ulong)Remaining) throw Fail($"{what} is a string of {n} bytes, but only {Remaining} remain");
            if (n > MaxStringBytes) throw Fail($"{what} is a string of {n} bytes, longer than any GGUF string should be");
            try
            {
                return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Take((int)n, what));
            }
            catch (DecoderFallbackException)
            {
                throw Fail($"{what} is not valid UTF-8");
            }
        }

        public object Scalar(GgufValueType type, string key) => type switch
        {
            GgufValueType.Float32 or GgufValueType.Float64 => Float(type, key),
            GgufValueType.Bool => Bool(key),
            GgufValueType.String => String($"the value of '{key}'"),
            _ => Integer(type, key),
        };

        /// <summary>An integer value of any width, unboxed (array elements are read through here).</summary>
        private long Integer(GgufValueType type, string key) => type switch
        {
            GgufValueType.UInt8 => Take(1, key)[0],
            GgufValueType.Int8 => (sbyte)Take(1, key)[0],
            GgufValueType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, key)),
            GgufValueType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(Take(2, key)),
            GgufValueType.UInt32 => U32(key),
            GgufValueType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(Take(4, key)),
            GgufValueType.UInt64 => U64(key) is var u && u <= long.MaxValue ? (long)u : throw Fail($"'{key}' is {u}, larger than Sapling reads"),
            GgufValueType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(Take(8, key)),
            _ => throw Fail($"metadata key '{key}' has value type {(uint)type}, which GGUF does not define"),
        };

        private double Float(GgufValueType type, string key) => type == GgufValueType.Float32
            ? BinaryPrimitives.ReadSingleLittleEndian(Take(4, key))
            : BinaryPrimitives.ReadDoubleLittleEndian(Take(8, key));

        private bool Bool(string key)
        {
            byte b = Take(1, key)[0];
            return b <= 1 ? b == 1 : throw Fail($"metadata key '{key}' is a bool stored as {b}");
        }

        public GgufArray Array(string key)
        {
            var type = (GgufValueType)U32($"the element type of '{key}'");
            if (type == GgufValueType.Array) throw Fail($"metadata key '{key}' is an array of arrays, which Sapling does not read");
            int size = type switch
            {
                GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
                GgufValueType.UInt16 or GgufValueType.Int16 => 2,
                GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
                GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 or GgufValueType.String => 8,
                _ => throw Fail($"metadata key '{key}' is an array of value type {(uint)type}, which GGUF does not define"),
            };
            ulong n = U64($"the length of '{key}'");
            if (n > (ulong)(Remaining / size) || n > int.MaxValue) throw Fail($"metadata key '{key}' claims {n} elements, more than the {Remaining} remaining bytes could hold");
            int count = (int)n;
            switch (type)
            {
                case GgufValueType.String:
                {
                    var values = new string[count];
                    for (int i = 0; i < count; i++) values[i] = String($"element {i} of '{key}'");
                    return new GgufArray(type, values);
                }
                case GgufValueType.Bool:
                {
                    var values = new bool[count];
                    for (int i = 0; i < count; i++) values[i] = Bool(key);
                    return new GgufArray(type, values);
                }
                case GgufValueType.Float32 or GgufValueType.Float64:
                {
                    var values = new double[count];
                    for (int i = 0; i < count; i++) values[i] = Float(type, key);
                    return new GgufArray(type, values);
                }
                default:
                {
                    var values = new long[count];
                    for (int i = 0; i < count; i++) values[i] = Integer(type, key);
                    return new GgufArray(type, values);
                }
            }
        }
    }
}
