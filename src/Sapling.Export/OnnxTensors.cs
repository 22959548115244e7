using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Sapling.Export.Onnx;

namespace Sapling.Export;

/// <summary>Sapling tensors and plain arrays as ONNX TensorProtos, values in raw_data (fixed width, little-endian).</summary>
internal static class OnnxTensors
{
    /// <summary>
    /// A tensor of any float dtype and storage (a bf16 weight mapped from its file, say) as float32, optionally
    /// transposed (a Linear weight [out, in] as MatMul's [in, out]). Only this tensor's float32 copy exists at a time,
    /// and its bytes go straight into the message: exporting a large model holds the message, not a second model.
    /// </summary>
    public static TensorProto Float(string name, Tensor tensor, bool transpose = false)
    {
        if (transpose && tensor.Rank != 2) throw new ArgumentException($"ONNX export: '{name}' is transposed as a matrix, but has shape {ShapeUtil.Format(tensor.Shape.ToArray())}");
        var wide = tensor.To(DType.Float32);
        var laidOut = transpose ? wide.Transpose(0, 1).Contiguous() : wide.Contiguous();
        try
        {
            return Make(name, TensorProto.Types.DataType.Float, laidOut.Shape.Select(d => (long)d).ToArray(), LittleEndian(laidOut.AsReadOnlySpan<float>()));
        }
        finally
        {
            if (!ReferenceEquals(laidOut, tensor)) laidOut.Dispose();
            if (!ReferenceEquals(wide, tensor) && !ReferenceEquals(wide, laidOut)) wide.Dispose();
        }
    }

    public static TensorProto Float(string name, float[] values, params long[] dims) =>
        Make(name, TensorProto.Types.DataType.Float, dims, LittleEndian(values));

    /// <summary>The values' bytes, little-endian whatever the machine's byte order.</summary>
    private static byte[] LittleEndian(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(values).CopyTo(bytes);
        else
            for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        return bytes;
    }

    public static TensorProto Int64(string name, long[] values, params long[] dims)
    {
        var bytes = new byte[values.Length * sizeof(long)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * sizeof(long)), values[i]);
        return Make(name, TensorProto.Types.DataType.Int64, dims, bytes);
    }

    private static TensorProto Make(string name, TensorProto.Types.DataType type, long[] dims, byte[] bytes)
    {
        // The array is not touched again, so the protobuf message can own it without a copy.
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = UnsafeByteOperations.UnsafeWrap(bytes) };
        t.Dims.AddRange(dims);
        return t;
    }

    /// <summary>Reads a float32 TensorProto back (raw_data or float_data), for tests and tools.</summary>
    public static float[] ReadFloats(TensorProto t)
    {
        if (t.DataType != (int)TensorProto.Types.DataType.Float) throw new InvalidDataException($"tensor '{t.Name}' is not float32 (data_type {t.DataType})");
        if (!t.HasRawData) return t.FloatData.ToArray();
        var raw = t.RawData.Span;
        var values = new float[raw.Length / sizeof(float)];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(i * sizeof(float))..]);
        return values;
    }
}
