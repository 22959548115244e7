using Sapling.Quantization;

namespace Sapling.NN;

/// <summary>
/// A layer whose weight can be held as int8 with per-output-channel scales (<see cref="QuantizedWeight"/>). Once
/// quantized, its state dict holds "weight" (I8, in the layer's own layout) and "weight_scale" (F32 [out]) instead
/// of the float weight, and its forward pass runs the int8 kernel. Quantized layers are for inference only.
/// </summary>
public interface IQuantizable
{
    /// <summary>The int8 weight, or null while the layer is float32.</summary>
    QuantizedWeight? Quantized { get; }

    /// <summary>Replaces the float weight by its int8 form (the float weight is released).</summary>
    void Quantize();

    /// <summary>
    /// Takes stored int8 values (the layer's weight shape) and scales [out] as the layer's weight, e.g. when a
    /// quantized model folder is loaded. <paramref name="source"/> names the tensors in errors.
    /// </summary>
    void LoadQuantized(Tensor values, Tensor scale, string source);
}
