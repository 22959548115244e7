using System.Text;
using Sapling.Quantization.Ggml;

namespace Sapling.IO.Gguf;

/// <summary>
/// Builds a GGUF v3 file: metadata entries in the order they are added, then tensors, each stored as given (raw
/// bytes already in its ggml type) at the file's alignment. <see cref="Save"/> writes atomically: an interrupted
/// export never leaves half a file where a model was.
/// </summary>
public sealed class GgufWriter
{
    private readonly List<(string Key, GgufValueType Type, object Value)> metadata = [];
    private readonly List<(string Name, int[] Shape, GgmlType Type, Func<byte[]> Bytes)> tensors = [];
    private readonly HashSet<string> keys = new(StringComparer.Ordinal);
    private readonly HashSet<string> names = new(StringComparer.Ordinal);

    /// <summary>The data alignment: a power of two up to 1 MiB (what <see cref="GgufFile"/> reads).</summary>
    public int Alignment
    {
        get => alignment;
        init => alignment = value is > 0 and <= 1 << 20 && (value & (value - 1)) == 0
            ? value : throw new ArgumentOutOfRangeException(nameof(Alignment), value, $"GGUF alignment {value} is not a power of two up to 1 MiB");
    }

    private readonly int alignment = GgufFile.DefaultAlignment;

    /// <summary>Adds a string entry; refuses a key added before. Returns this writer, for chaining.</summary>
    public GgufWriter Add(string key, string value) => Put(key, GgufValueType.String, value);
    /// <summary>Adds a uint32 entry; refuses a key added before. Returns this writer, for chaining.</summary>
    public GgufWriter Add(string key, uint value) => Put(key, GgufValueType.UInt32, value);
    /// <summary>Adds an int32 entry; refuses a key added before. Returns this writer, for chaining.</summary>
    public GgufWriter Add(string key, int value) => Put(key, GgufValueType.Int32, value);
    /// <summary>Adds a float32 entry; refuses a key added before. Returns this writer, for chaining.</summary>
    public GgufWriter Add(string key, float value) => Put(key, GgufValueType.Float32, value);
    /// <summary>Adds a bool entry; refuses a key added before. Returns this writer, for chaining.</summary>
    public GgufWriter Add(string key, bool value) => Put(key, GgufValueType.Bool, value);
    /// <summary>
    /// Adds an array-of-strings entry; refuses a key added before. Returns this writer, for chaining.
    /// </summary>
    public GgufWriter Add(string key, string[] values) => Put(key, GgufValueType.Array, new GgufArray(GgufValueType.String, values));
    /// <summary>
    /// Adds an array-of-float32 entry; refuses a key added before. Returns this writer, for chaining.
    /// </summary>
    public GgufWriter Add(string key, float[] values) => Put(key, GgufValueType.Array, new GgufArray(GgufValueType.Float32, values));
    /// <summary>Adds an array-of-int32 entry; refuses a key added before. Returns this writer, for chaining.</summary>
    public GgufWriter Add(string key, int[] values) => Put(key, GgufValueType.Array, new GgufArray(GgufValueType.Int32, values));

    private GgufWriter Put(string key, GgufValueType type, object value)
    {
        if (!keys.Add(key)) throw new ArgumentException($"GGUF metadata key '{key}' is set twice");
        metadata.Add((key, type, value));
        return this;
    }

    /// <summary>
    /// Adds a tensor of <paramref name="shape"/> (outermost first, as Sapling and PyTorch write it) whose bytes, in
    /// <paramref name="type"/>, <paramref name="bytes"/> produces when the file is written (so a large model is
    /// converted one tensor at a time).
    /// </summary>
    public GgufWriter AddTensor(string name, int[] shape, GgmlType type, Func<byte[]> bytes)
    {
        if (!names.Add(name)) throw new ArgumentException($"GGUF tensor '{name}' is added twice");
        if (shape.Length is 0 or > 4) throw new ArgumentException($"GGUF tensor '{name}': {shape.Length} dimensions (1 to 4 allowed)");
        if (shape.Any(d => d <= 0)) throw new ArgumentException($"GGUF tensor '{name}': shape [{string.Join(", ", shape)}] has a dimension below 1");
        if (shape[^1] % type.BlockSize() != 0)
            throw new ArgumentException($"GGUF tensor '{name}': rows of {shape[^1]} elements are not whole {type.Name()} blocks of {type.BlockSize()}");
        tensors.Add((name, (int[])shape.Clone(), type, bytes));
        return this;
    }

    /// <summary>
    /// Writes the file to <paramref name="path"/> atomically, calling each tensor's byte producer in turn. Refuses a
    /// general.alignment entry that differs from <see cref="Alignment"/> and tensor bytes of the wrong length.
    /// </summary>
    public void Save(string path)
    {
        // A general.alignment the caller set must be the one the data is padded to, or no reader can open the file.
        var set = metadata.Find(m => m.Key == "general.alignment");
        if (set.Key != null && !(set.Value is uint u && u == Alignment || set.Value is int i && i == Alignment))
            throw new ArgumentException($"GGUF metadata general.alignment is {set.Value} but the writer's Alignment is {Alignment}; set Alignment instead");
        AtomicFile.Write(path, Write);
    }

    private void Write(Stream stream)
    {
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(GgufFile.Magic);
        w.Write(3u);
        w.Write((ulong)tensors.Count);
        w.Write((ulong)(metadata.Count + (keys.Contains("general.alignment") || Alignment == GgufFile.DefaultAlignment ? 0 : 1)));
        foreach (var (key, type, value) in metadata) WriteEntry(w, key, type, value);
        if (!keys.Contains("general.alignment") && Alignment != GgufFile.DefaultAlignment) WriteEntry(w, "general.alignment", GgufValueType.UInt32, (uint)Alignment);
        long offset = 0;
        var sizes = new long[tensors.Count];
        for (int i = 0; i < tensors.Count; i++)
        {
            var (name, shape, type, _) = tensors[i];
            WriteString(w, name);
            w.Write((uint)shape.Length);
            long elements = 1;
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                w.Write((ulong)shape[d]);
                elements *= shape[d];
            }
            w.Write((uint)type);
            w.Write((ulong)offset);
            sizes[i] = type.ByteCount(elements);
            offset += Pad(sizes[i]);
        }
        Padding(w, stream.Position);
        for (int i = 0; i < tensors.Count; i++)
        {
            var bytes = tensors[i].Bytes();
            if (bytes.Length != sizes[i])
                throw new InvalidOperationException($"GGUF tensor '{tensors[i].Name}': {bytes.Length} bytes given for {sizes[i]} expected");
            w.Write(bytes);
            Padding(w, bytes.Length);
        }
    }

    private long Pad(long n) => (n + Alignment - 1) / Alignment * Alignment;

    private void Padding(BinaryWriter w, long written)
    {
        for (long i = written; i < Pad(written); i++) w.Write((byte)0);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void WriteEntry(BinaryWriter w, string key, GgufValueType type, object value)
    {
        WriteString(w, key);
        w.Write((uint)type);
        if (type != GgufValueType.Array)
        {
            WriteScalar(w, type, value);
            return;
        }
        var array = (GgufArray)value;
        w.Write((uint)array.ElementType);
        w.Write((ulong)array.Count);
        foreach (var item in array.Values) WriteScalar(w, array.ElementType, item!);
    }

    private static void WriteScalar(BinaryWriter w, GgufValueType type, object value)
    {
        switch (type)
        {
            case GgufValueType.String: WriteString(w, (string)value); break;
            case GgufValueType.UInt32: w.Write((uint)value); break;
            case GgufValueType.Int32: w.Write((int)value); break;
            case GgufValueType.Float32: w.Write((float)value); break;
            case GgufValueType.Bool: w.Write((bool)value ? (byte)1 : (byte)0); break;
            default: throw new NotSupportedException($"GGUF value type {type} is not written");
        }
    }
}
