namespace Sapling.IO.Gguf;

/// <summary>The types of GGUF metadata values, numbered as the file stores them.</summary>
public enum GgufValueType : uint
{
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8 = 0,
    /// <summary>Signed 8-bit integer.</summary>
    Int8 = 1,
    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 2,
    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 3,
    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = 4,
    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 5,
    /// <summary>32-bit floating point.</summary>
    Float32 = 6,
    /// <summary>A boolean, stored as one byte (0 or 1).</summary>
    Bool = 7,
    /// <summary>A UTF-8 string with a 64-bit length prefix.</summary>
    String = 8,
    /// <summary>An array: element type, 64-bit count, then the elements.</summary>
    Array = 9,
    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64 = 10,
    /// <summary>Signed 64-bit integer.</summary>
    Int64 = 11,
    /// <summary>64-bit floating point.</summary>
    Float64 = 12,
}
