namespace Sapling.Export.Import;

/// <summary>ONNX's TensorProto.DataType numbers, for the element types a graph declares.</summary>
public enum OnnxElementType
{
    /// <summary>No type given.</summary>
    Undefined = 0,
    /// <summary>32-bit floating point.</summary>
    Float = 1,
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8 = 2,
    /// <summary>Signed 8-bit integer.</summary>
    Int8 = 3,
    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 4,
    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 5,
    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 6,
    /// <summary>Signed 64-bit integer.</summary>
    Int64 = 7,
    /// <summary>Text strings.</summary>
    String = 8,
    /// <summary>Booleans.</summary>
    Bool = 9,
    /// <summary>16-bit IEEE half-precision floating point.</summary>
    Float16 = 10,
    /// <summary>64-bit floating point.</summary>
    Double = 11,
    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = 12,
    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64 = 13,
    /// <summary>Complex numbers of two 32-bit floats.</summary>
    Complex64 = 14,
    /// <summary>Complex numbers of two 64-bit floats.</summary>
    Complex128 = 15,
    /// <summary>bfloat16: 16-bit floating point with float32's exponent range.</summary>
    BFloat16 = 16,
}
