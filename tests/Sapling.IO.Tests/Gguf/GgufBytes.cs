using System.Text;
using Sapling.IO.Gguf;
using Sapling.Quantization.Ggml;

namespace Sapling.IO.Tests.Gguf;

/// <summary>
/// Writes GGUF bytes field by field with a <see cref="BinaryWriter"/> (little-endian), independently of
/// <see cref="GgufWriter"/>, so tests can build valid files the writer would never produce and broken ones.
/// </summary>
internal sealed class GgufBytes
{
    private readonly MemoryStream stream = new();
    private readonly BinaryWriter w;

    public GgufBytes() => w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);

    public long Length
    {
        get
        {
            w.Flush();
            return stream.Length;
        }
    }

    /// <summary>Magic, version, tensor count, metadata count.</summary>
    public GgufBytes Header(ulong tensors, ulong metadata, uint version = 3) => U32(GgufFile.Magic).U32(version).U64(tensors).U64(metadata);

    public GgufBytes U8(byte v) => Do(() => w.Write(v));

    public GgufBytes U16(ushort v) => Do(() => w.Write(v));

    public GgufBytes I16(short v) => Do(() => w.Write(v));

    public GgufBytes U32(uint v) => Do(() => w.Write(v));

    public GgufBytes I32(int v) => Do(() => w.Write(v));

    public GgufBytes U64(ulong v) => Do(() => w.Write(v));

    public GgufBytes I64(long v) => Do(() => w.Write(v));

    public GgufBytes F32(float v) => Do(() => w.Write(v));

    public GgufBytes F64(double v) => Do(() => w.Write(v));

    public GgufBytes Raw(params byte[] bytes) => Do(() => w.Write(bytes));

    /// <summary>A GGUF string: uint64 byte length, then UTF-8 without a terminator.</summary>
    public GgufBytes Str(string s) => U64((ulong)Encoding.UTF8.GetByteCount(s)).Raw(Encoding.UTF8.GetBytes(s));

    /// <summary>The key and value type of a metadata entry; the value follows.</summary>
    public GgufBytes Key(string key, GgufValueType type) => Str(key).U32((uint)type);

    /// <summary>The key, type Array, element type and count of an array entry; the elements follow.</summary>
    public GgufBytes ArrayKey(string key, GgufValueType elementType, ulong count) => Key(key, GgufValueType.Array).U32((uint)elementType).U64(count);

    /// <summary>A tensor info; <paramref name="ggmlDims"/> is in the file's order, innermost (contiguous) first.</summary>
    public GgufBytes Tensor(string name, ulong[] ggmlDims, GgmlType type, ulong offset) => Tensor(name, ggmlDims, (uint)type, offset);

    public GgufBytes Tensor(string name, ulong[] ggmlDims, uint type, ulong offset)
    {
        Str(name).U32((uint)ggmlDims.Length);
        foreach (ulong d in ggmlDims) U64(d);
        return U32(type).U64(offset);
    }

    /// <summary>Zero bytes up to the next multiple of <paramref name="alignment"/> (the start of the data section).</summary>
    public GgufBytes Align(int alignment = GgufFile.DefaultAlignment)
    {
        while (Length % alignment != 0) w.Write((byte)0);
        return this;
    }

    public GgufBytes Zeros(int count) => Raw(new byte[count]);

    public byte[] ToArray()
    {
        w.Flush();
        return stream.ToArray();
    }

    private GgufBytes Do(Action write)
    {
        write();
        return this;
    }
}
