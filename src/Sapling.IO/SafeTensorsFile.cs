using Sapling.Memory;

namespace Sapling.IO;

/// <summary>
/// An open <c>.safetensors</c> file, memory-mapped read-only (or read whole into memory). Opening reads and validates only the header; each
/// <see cref="Load(string)"/> copies one tensor's bytes out of the mapping, so a model can be loaded tensor by tensor
/// without reading (or holding) the whole file. Loaded tensors own their memory and outlive this object.
/// Loads may run on several threads at once, but not concurrently with <see cref="Dispose"/>.
/// </summary>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    private readonly MappedFile mapping;
    private readonly SafeTensorsHeader header;
    private readonly byte* data;
    private readonly string[] names;
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle handle;
    private readonly FileStream stream;
    private readonly long dataOffset;
    private bool disposed;

    private SafeTensorsFile(MappedFile mapping, SafeTensorsHeader header, FileStream stream, long dataOffset)
    {
        Path = mapping.Path;
        this.mapping = mapping;
        this.header = header;
        this.stream = stream;
        handle = stream.SafeFileHandle;
        this.dataOffset = dataOffset;
        data = mapping.Start + dataOffset;
        names = new string[header.Tensors.Count];
        for (int i = 0; i < names.Length; i++) names[i] = header.Tensors[i].Name;
    }

    /// <summary>The full path of the file.</summary>
    public string Path { get; }

    /// <summary>The file's size in bytes (of its target, when the path is a symbolic link).</summary>
    public long Length => mapping.Length;

    /// <summary>Tensor names in the order their data lies in the file.</summary>
    public IReadOnlyList<string> Names => names;

    /// <summary>Every entry of the header, in file order.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors => header.Tensors;

    /// <summary>The header's <c>__metadata__</c> (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata => header.Metadata;

    /// <summary>
    /// Maps the file and validates its header. Throws <see cref="SafeTensorsFormatException"/>, naming the file and the
    /// problem, when the file breaks the format in any way Hugging Face's reader would refuse.
    /// </summary>
    /// <param name="inMemory">
    /// Read the whole file into memory advised for huge pages (<see cref="MappedFile.Read"/>, llama.cpp's --no-mmap)
    /// instead of mapping it (a file larger than the machine's memory is mapped all the same, with a warning): tensors
    /// used in place (<see cref="Map"/>) then stream faster.
    /// </param>
    public static SafeTensorsFile Open(string path, bool inMemory = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        SafeTensors.RequireLittleEndian();
        string fullPath = System.IO.Path.GetFullPath(path);
        var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess);
        MappedFile? mapping = null;
        try
        {
            long length = stream.Length;
            // An empty file cannot be mapped at all, so the too-short check runs before mapping.
            if (length < 8) SafeTensorsHeader.ReadHeaderLength(fullPath, default, length);
            mapping = WeightFileMemory.Open(fullPath, inMemory);
            long headerLength = SafeTensorsHeader.ReadHeaderLength(fullPath, mapping.Bytes(0, 8), length);
            var header = SafeTensorsHeader.Parse(fullPath, mapping.Bytes(8, (int)headerLength), length - 8 - headerLength);
            return new SafeTensorsFile(mapping, header, stream, 8 + headerLength);
        }
        catch
        {
            mapping?.Dispose();
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The tensor <paramref name="name"/> read in place from the mapped file, without a copy: F32, BF16 and F16 (as
    /// float16), F64, I8, I32 and I64 keep their stored dtype. The tensor keeps the mapping alive after this object is
    /// disposed and is read-only: matmul, linear and embedding read it directly; other ops need a copy
    /// (<see cref="Tensor.Clone"/> or <see cref="Tensor.To"/>). Pages are read from disk on first touch.
    /// </summary>
    public Tensor Map(string name)
    {
        ThrowIfDisposed();
        var info = Find(name);
        var dtype = MappedDType(info.DType)
            ?? throw new NotSupportedException($"tensor '{name}' in '{Path}' has dtype {info.DType}, which is not used in place; supported: F32, BF16, F16, F64, I8, I32, I64 (Load converts the others)");
        var shape = SaplingShape(info);
        int n = ShapeUtil.Numel(shape);
        var storage = mapping.Storage(dataOffset + info.Begin, dtype, n);
        return Tensor.FromStorage(storage, shape);
    }

    /// <summary>The dtype a stored tensor keeps when used as stored: where the file's bytes are Sapling's elements.</summary>
    private static DType? MappedDType(string stored) =>
        stored is "F32" or "BF16" or "F16" or "F64" or "I8" or "I32" or "I64" ? SafeTensorsDType.LoadsAs(stored) : null;

    private void ReadExactly(string name, Span<byte> bytes, long offset)
    {
        while (bytes.Length > 0)
        {
            int read = RandomAccess.Read(handle, bytes, offset);
            if (read <= 0) throw new SafeTensorsFormatException(Path, $"the file ended while reading tensor '{name}'");
            bytes = bytes[read..];
            offset += read;
        }
    }

    /// <summary>Whether the header lists a tensor named <paramref name="name"/>.</summary>
    public bool Contains(string name) => header.ByName.ContainsKey(name);

    /// <summary>The header entry of <paramref name="name"/>: stored dtype, shape and byte range.</summary>
    public SafeTensorInfo Info(string name)
    {
        ThrowIfDisposed();
        return Find(name);
    }

    /// <summary>
    /// Copies one tensor out of the file. F32, F64, BF16, F16, I8, I32, I64 and BOOL load as themselves; U8, I16 and U16 widen to int32 and U32 to int64. Other dtypes (U64, FP8)
    /// have no lossless Sapling equivalent and throw <see cref="NotSupportedException"/>.
    /// </summary>
    public Tensor Load(string name)
    {
        ThrowIfDisposed();
        var info = Find(name);
        DType dtype = SafeTensorsDType.LoadsAs(info.DType)
            ?? throw new NotSupportedException($"tensor '{name}' in '{Path}' has dtype {info.DType}, which Sapling cannot hold; supported: F32, BF16, F16, F64, I8, U8, I16, U16, I32, U32, I64, BOOL");
        var tensor = Tensor.Uninitialized(dtype, SaplingShape(info));
        try
        {
            SafeTensorsDecode.Into(data + info.Begin, info.DType, tensor);
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
        return tensor;
    }

    /// <summary>
    /// Reads <paramref name="name"/> into an existing contiguous tensor of the same shape (a model's parameter),
    /// converting to its dtype. When no conversion is needed the bytes are read from the file straight into the
    /// tensor, not through the mapping, so loading a model holds its weights once: the file's pages stay in the
    /// page cache instead of adding a second copy to the process's resident memory.
    /// </summary>
    public void ReadInto(string name, Tensor destination)
    {
        ThrowIfDisposed();
        var info = Find(name);
        var shape = SaplingShape(info);
        if (!shape.AsSpan().SequenceEqual(destination.Shape.ToArray()))
            throw new ArgumentException($"tensor '{name}' in '{Path}' has shape {ShapeUtil.Format(shape)}, but its destination has {ShapeUtil.Format(destination.Shape.ToArray())}");
        if (destination.NumEl == 0) return;
        if (!destination.IsContiguous) throw new ArgumentException($"ReadInto needs a contiguous destination for '{name}'");
        if (MappedDType(info.DType) == destination.DType)
        {
            var bytes = destination.DType switch
            {
                DType.Float32 => System.Runtime.InteropServices.MemoryMarshal.AsBytes(destination.AsSpan<float>()),
                DType.Float64 => System.Runtime.InteropServices.MemoryMarshal.AsBytes(destination.AsSpan<double>()),
                DType.BFloat16 => System.Runtime.InteropServices.MemoryMarshal.AsBytes(destination.AsSpan<ushort>()),
                DType.Float16 => System.Runtime.InteropServices.MemoryMarshal.AsBytes(destination.AsSpan<Half>()),
                DType.Int8 => System.Runtime.InteropServices.MemoryMarshal.AsBytes(destination.AsSpan<sbyte>()),
                DType.Int32 => System.Runtime.InteropServices.MemoryMarshal.AsBytes(destination.AsSpan<int>()),
                _ => System.Runtime.InteropServices.MemoryMarshal.AsBytes(destination.AsSpan<long>()),
            };
            ReadExactly(name, bytes, dataOffset + info.Begin);
            return;
        }
        using var loaded = Load(name, destination.DType);
        using (Autograd.NoGrad.Enter()) destination.CopyFrom(loaded);
    }

    /// <summary>Loads <paramref name="name"/> converted to <paramref name="dtype"/> with Sapling's conversion rules (e.g. BF16 weights as float32).</summary>
    public Tensor Load(string name, DType dtype)
    {
        var loaded = Load(name);
        if (loaded.DType == dtype) return loaded;
        try
        {
            // Tensor.To cannot convert some empty shapes such as [2, 0, 3] (it sees them as non-contiguous).
            if (loaded.NumEl == 0) return Tensor.Zeros(SaplingShape(Find(name)), dtype);
            return loaded.To(dtype);
        }
        finally
        {
            loaded.Dispose();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        mapping.Dispose();
        stream.Dispose();
    }

    private SafeTensorInfo Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (header.ByName.TryGetValue(name, out var info)) return info;
        string some = string.Join(", ", names.Take(5).Select(n => $"'{n}'"));
        string more = names.Length > 5 ? $", ... ({names.Length} in all)" : "";
        throw new KeyNotFoundException(names.Length == 0
            ? $"'{Path}' has no tensor named '{name}'; it holds no tensors"
            : $"'{Path}' has no tensor named '{name}'; it holds {some}{more}");
    }

    /// <summary>Sapling shapes are int and tensors hold at most int.MaxValue elements; the format allows more.</summary>
    private int[] SaplingShape(SafeTensorInfo info)
    {
        var shape = new int[info.Shape.Count];
        long n = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            long d = info.Shape[i];
            n *= d;
            if (d > int.MaxValue || n > int.MaxValue)
                throw new NotSupportedException($"tensor '{info.Name}' in '{Path}' has shape {SafeTensorsHeader.FormatShape(info.Shape)}, more than the {int.MaxValue} elements a Sapling tensor can hold");
            shape[i] = (int)d;
        }
        return shape;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(disposed, this);
}
