using Sapling.Backends.Cpu;

namespace Sapling.Quantization;

/// <summary>
/// A weight stored as int8 with one symmetric float32 scale per output channel (dim 0): w ≈ values · scale, with
/// scale = max|w_row| / 127 (PyTorch's per-channel symmetric qint8 scheme, zero point 0). Only the kernel's packed copy
/// is kept; the values in the layer's own layout ([out, in] for Linear, [out, in, kH, kW] for Conv2d) are unpacked from
/// it when asked for (saving a state dict), so an int8 model holds one byte per weight.
/// </summary>
public sealed class QuantizedWeight
{
    private readonly int[] shape;

    private QuantizedWeight(int[] shape, Tensor scale, Int8PackedMatrix packed)
    {
        this.shape = shape;
        Scale = scale;
        Packed = packed;
    }

    /// <summary>The int8 values [out, ...], unpacked from the kernel's layout: a new tensor at every call.</summary>
    public Tensor Values => Tensor.FromSpan<sbyte>(Packed.Unpack(), shape);

    /// <summary>The values' shape, [out, ...].</summary>
    public int[] Shape => (int[])shape.Clone();

    /// <summary>One scale per output channel, [out].</summary>
    public Tensor Scale { get; }

    /// <summary>Output channels (rows).</summary>
    public int OutFeatures => Packed.N;

    /// <summary>Inputs per output channel (the product of the remaining dimensions).</summary>
    public int InFeatures => Packed.K;

    internal Int8PackedMatrix Packed { get; }

    /// <summary>
    /// Quantises a float weight [out, ...] per output channel. A row of zeros gets scale 1 and zero values. A bf16 or
    /// f16 weight (in any storage, e.g. mapped from its file) is widened to float32 first, one matrix at a time.
    /// </summary>
    public static QuantizedWeight Quantize(Tensor weight)
    {
        if (weight.DType is DType.BFloat16 or DType.Float16)
        {
            using var wide = weight.To(DType.Float32);
            return Quantize(wide);
        }
        if (weight.DType != DType.Float32) throw new ArgumentException($"quantize: the weight must be float32, bf16 or f16, got {weight.DType.Name()}");
        if (weight.Rank < 2) throw new ArgumentException($"quantize: a weight needs an output dimension and inputs, got shape {ShapeUtil.Format(weight.Shape.ToArray())}");
        int n = weight.Shape[0], k = weight.NumEl / Math.Max(n, 1);
        var w = weight.ToArray();
        var q = new sbyte[w.Length];
        var scales = new float[n];
        for (int row = 0; row < n; row++)
            if (HasNonFinite(w.AsSpan(row * k, k)))
                throw new ArgumentException($"quantize: output channel {row} of the weight holds NaN or infinity");
        Backends.Backend.Current.QuantizeRowsInt8(w, 0, n, k, q, scales);
        return new QuantizedWeight(weight.Shape.ToArray(), Tensor.FromArray(scales, n), Int8PackedMatrix.Pack(q, n, k, scales));
    }

    /// <summary>
    /// Wraps stored int8 values [out, ...] and scales [out] (as read from a file). <paramref name="source"/> names the
    /// tensors in errors: a scale that is missing, the wrong shape, zero, negative or not finite is refused.
    /// </summary>
    public static QuantizedWeight FromInt8(Tensor values, Tensor scale, string source = "weight")
    {
        if (values.DType != DType.Int8) throw new InvalidDataException($"{source}: int8-quantized values must be I8, got {values.DType.Name()}");
        if (values.Rank < 2) throw new InvalidDataException($"{source}: quantized values need rank ≥ 2, got shape {ShapeUtil.Format(values.Shape.ToArray())}");
        if (scale.DType != DType.Float32) throw new InvalidDataException($"{source}_scale: the scale must be F32, got {scale.DType.Name()}");
        int n = values.Shape[0];
        if (scale.Rank != 1 || scale.Shape[0] != n)
            throw new InvalidDataException($"{source}_scale: shape {ShapeUtil.Format(scale.Shape.ToArray())} does not match {n} output channels of {source} {ShapeUtil.Format(values.Shape.ToArray())}");
        var scales = scale.ToArray();
        for (int i = 0; i < n; i++)
            if (!(scales[i] > 0f) || !float.IsFinite(scales[i]))
                throw new InvalidDataException($"{source}_scale: channel {i} has scale {scales[i]}; scales must be positive and finite");
        int k = values.NumEl / n;
        var packed = values.IsContiguous ? Int8PackedMatrix.Pack(values.AsReadOnlySpan<sbyte>(), n, k, scales) : Int8PackedMatrix.Pack(values.ToArray<sbyte>(), n, k, scales);
        return new QuantizedWeight(values.Shape.ToArray(), scale, packed);
    }

    /// <summary>The float32 weight the int8 values stand for (values × scale), in the values' shape.</summary>
    public Tensor Dequantize()
    {
        var w = new float[OutFeatures * InFeatures];
        for (int row = 0; row < OutFeatures; row++) Packed.DequantizeRow(row, w.AsSpan(row * InFeatures, InFeatures));
        return Tensor.FromArray(w, shape);
    }

    private static bool HasNonFinite(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
            if (!float.IsFinite(v)) return true;
        return false;
    }
}
