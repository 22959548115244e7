using System.Buffers.Binary;
using Google.Protobuf;
using Sapling.Export.Onnx;

namespace Sapling.Export;

/// <summary>Sapling tensors and plain arrays as ONNX TensorProtos, values in raw_data (fixed width, little-endian).</summary>
internal static class OnnxTensors
{
    public static TensorProto Float(string name, Tensor tensor)
    {
        if (tensor.DType != DType.Float32) tensor = tensor.To(DType.Float32);
        return Float(name, tensor.Contiguous().ToArray<float>(), tensor.Shape.ToArray().Select(d => (long)d).ToArray());
    }

    public static TensorProto Float(string name, float[] values, params long[] dims)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        // Written value by value so the file is little-endian whatever the machine's byte order.
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        return Make(name, TensorProto.Types.DataType.Float, dims, bytes);
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
