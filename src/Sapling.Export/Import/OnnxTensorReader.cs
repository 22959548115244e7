using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Sapling.Export.Onnx;

namespace Sapling.Export.Import;

/// <summary>
/// Reads an ONNX TensorProto (initializer, Constant value, attribute) into a Sapling tensor. Floating types become
/// float32 (float16 and bfloat16 are widened; double stays float64), integer types int64, bool stays bool. Every size is
/// checked against the bytes that are actually there before anything is allocated, and external data must lie inside
/// the model's folder.
/// </summary>
internal static class OnnxTensorReader
{
    public static Tensor Read(TensorProto proto, string what, string file, string? dataDirectory)
    {
        var type = (OnnxElementType)proto.DataType;
        int elementSize = ElementSize(type, what, file);
        var shape = new int[proto.Dims.Count];
        long count = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            long d = proto.Dims[i];
            if (d < 0 || d > int.MaxValue) throw new InvalidDataException($"{file}: {what} has dimension {i} of size {d}");
            shape[i] = (int)d;
            count *= d;
            if (count > int.MaxValue) throw new InvalidDataException($"{file}: {what} has {string.Join(" x ", proto.Dims)} elements, more than a Sapling tensor holds (2^31 - 1)");
        }
        int n = (int)count;
        if (proto.DataLocation == TensorProto.Types.DataLocation.External)
            return FromBytes(ReadExternal(proto, what, file, dataDirectory, (long)n * elementSize), type, shape, n);
        if (proto.HasRawData)
        {
            if (proto.RawData.Length != (long)n * elementSize)
                throw new InvalidDataException($"{file}: {what} holds {proto.RawData.Length} bytes of raw data, but {type} {ShapeUtil.Format(shape)} needs {(long)n * elementSize}");
            return FromBytes(proto.RawData.Span, type, shape, n);
        }
        return FromTypedFields(proto, type, shape, n, what, file);
    }

    /// <summary>Bytes per element in raw_data; refuses the types Sapling does not compute with.</summary>
    private static int ElementSize(OnnxElementType type, string what, string file) => type switch
    {
        OnnxElementType.Float or OnnxElementType.Int32 or OnnxElementType.UInt32 => 4,
        OnnxElementType.Double or OnnxElementType.Int64 or OnnxElementType.UInt64 => 8,
        OnnxElementType.Float16 or OnnxElementType.BFloat16 or OnnxElementType.Int16 or OnnxElementType.UInt16 => 2,
        OnnxElementType.Int8 or OnnxElementType.UInt8 or OnnxElementType.Bool => 1,
        _ => throw new NotSupportedException($"{file}: {what} has element type {type} (data_type {(int)type}), which Sapling's ONNX import does not support"),
    };

    private static Tensor FromBytes(ReadOnlySpan<byte> raw, OnnxElementType type, int[] shape, int n)
    {
        switch (type)
        {
            case OnnxElementType.Float:
            {
                // Weights are nearly all float32: on a little-endian machine the bytes are already the values.
                var v = BitConverter.IsLittleEndian ? MemoryMarshal.Cast<byte, float>(raw).ToArray() : new float[n];
                if (!BitConverter.IsLittleEndian)
                    for (int i = 0; i < n; i++) v[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(i * 4)..]);
                return OnnxValues.Shaped(v, shape);
            }
            case OnnxElementType.Double:
            {
                var v = new double[n];
                for (int i = 0; i < n; i++) v[i] = BinaryPrimitives.ReadDoubleLittleEndian(raw[(i * 8)..]);
                return OnnxValues.Shaped(v, shape);
            }
            case OnnxElementType.Float16:
            {
                var v = new float[n];
                for (int i = 0; i < n; i++) v[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(raw[(i * 2)..]);
                return OnnxValues.Shaped(v, shape);
            }
            case OnnxElementType.BFloat16:
            {
                var v = new float[n];
                for (int i = 0; i < n; i++) v[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw[(i * 2)..]) << 16);
                return OnnxValues.Shaped(v, shape);
            }
            case OnnxElementType.Bool:
            {
                var v = new bool[n];
                for (int i = 0; i < n; i++) v[i] = raw[i] != 0;
                return OnnxValues.Shaped(v, shape);
            }
            default:
            {
                var v = new long[n];
                for (int i = 0; i < n; i++)
                {
                    v[i] = type switch
                    {
                        OnnxElementType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(raw[(i * 8)..]),
                        OnnxElementType.UInt64 => checked((long)BinaryPrimitives.ReadUInt64LittleEndian(raw[(i * 8)..])),
                        OnnxElementType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(raw[(i * 4)..]),
                        OnnxElementType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(raw[(i * 4)..]),
                        OnnxElementType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(raw[(i * 2)..]),
                        OnnxElementType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(raw[(i * 2)..]),
                        OnnxElementType.Int8 => (sbyte)raw[i],
                        _ => raw[i],
                    };
                }
                return OnnxValues.Shaped(v, shape);
            }
        }
    }

    private static Tensor FromTypedFields(TensorProto proto, OnnxElementType type, int[] shape, int n, string what, string file)
    {
        void Expect(int have, string field)
        {
            if (have != n) throw new InvalidDataException($"{file}: {what} holds {have} values in {field}, but {type} {ShapeUtil.Format(shape)} needs {n}");
        }
        switch (type)
        {
            case OnnxElementType.Float:
                Expect(proto.FloatData.Count, "float_data");
                return OnnxValues.Shaped(proto.FloatData.ToArray(), shape);
            case OnnxElementType.Double:
                Expect(proto.DoubleData.Count, "double_data");
                return OnnxValues.Shaped(proto.DoubleData.ToArray(), shape);
            case OnnxElementType.Int64:
                Expect(proto.Int64Data.Count, "int64_data");
                return OnnxValues.Shaped(proto.Int64Data.ToArray(), shape);
            case OnnxElementType.UInt32 or OnnxElementType.UInt64:
            {
                Expect(proto.Uint64Data.Count, "uint64_data");
                var v = new long[n];
                for (int i = 0; i < n; i++) v[i] = proto.Uint64Data[i] <= long.MaxValue ? (long)proto.Uint64Data[i] : throw new InvalidDataException($"{file}: {what} value {proto.Uint64Data[i]} does not fit int64");
                return OnnxValues.Shaped(v, shape);
            }
            case OnnxElementType.Float16 or OnnxElementType.BFloat16:
            {
                // 16-bit floats travel as their bit patterns in int32_data.
                Expect(proto.Int32Data.Count, "int32_data");
                var v = new float[n];
                for (int i = 0; i < n; i++)
                {
                    ushort bits = (ushort)proto.Int32Data[i];
                    v[i] = type == OnnxElementType.Float16 ? (float)BitConverter.UInt16BitsToHalf(bits) : BitConverter.Int32BitsToSingle(bits << 16);
                }
                return OnnxValues.Shaped(v, shape);
            }
            case OnnxElementType.Bool:
            {
                Expect(proto.Int32Data.Count, "int32_data");
                var v = new bool[n];
                for (int i = 0; i < n; i++) v[i] = proto.Int32Data[i] != 0;
                return OnnxValues.Shaped(v, shape);
            }
            default:
            {
                Expect(proto.Int32Data.Count, "int32_data");
                var v = new long[n];
                for (int i = 0; i < n; i++) v[i] = proto.Int32Data[i];
                return OnnxValues.Shaped(v, shape);
            }
        }
    }

    /// <summary>The bytes of a tensor kept in a file beside the model (ONNX external data: location, offset, length).</summary>
    private static byte[] ReadExternal(TensorProto proto, string what, string file, string? dataDirectory, long expected)
    {
        string? location = null;
        long offset = 0, length = -1;
        foreach (var entry in proto.ExternalData)
        {
            switch (entry.Key)
            {
                case "location": location = entry.Value; break;
                case "offset": offset = ParseSize(entry.Value, "offset"); break;
                case "length": length = ParseSize(entry.Value, "length"); break;
                case "checksum": break;
                default: throw new InvalidDataException($"{file}: {what} has an unknown external_data key '{entry.Key}'");
            }
        }
        if (string.IsNullOrEmpty(location)) throw new InvalidDataException($"{file}: {what} is stored externally but names no location");
        if (dataDirectory == null) throw new NotSupportedException($"{file}: {what} is stored in external file '{location}', but the model was not read from a file whose folder holds it");
        var root = Path.GetFullPath(dataDirectory);
        var path = Path.GetFullPath(Path.Combine(root, location));
        // The location is relative to the model's folder and may not leave it (an absolute path or ../ from an untrusted file).
        if (Path.IsPathRooted(location) || !path.StartsWith(root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidDataException($"{file}: {what} names external data '{location}' outside the model's folder");
        if (!File.Exists(path)) throw new FileNotFoundException($"{file}: {what} is stored in '{location}', which does not exist beside the model", path);
        if (length >= 0 && length != expected)
            throw new InvalidDataException($"{file}: {what} declares {length} bytes of external data, but its type and shape need {expected}");
        using var stream = File.OpenRead(path);
        if (offset + expected > stream.Length)
            throw new InvalidDataException($"{file}: {what} needs bytes {offset}..{offset + expected} of '{location}', which has {stream.Length}");
        var bytes = new byte[expected];
        stream.Position = offset;
        stream.ReadExactly(bytes);
        return bytes;

        long ParseSize(string text, string key) => long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new InvalidDataException($"{file}: {what} has external_data {key} '{text}', not a non-negative integer");
    }
}
