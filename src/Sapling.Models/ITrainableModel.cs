using Sapling.NN;

namespace Sapling.Models;

/// <summary>
/// What the one training loop needs from a pretrained network of any family (a decoder, an encoder with a task head):
/// its parameters as a module, a few sizes for FLOP counts and layer-wise settings, and how to write its folder.
/// </summary>
public interface ITrainableModel
{
    /// <summary>The config's model_type ("gpt2", "llama", "bert", ...).</summary>
    string ModelType { get; }

    /// <summary>The model as a module: parameters, train/eval mode.</summary>
    Module Network { get; }

    /// <summary>Transformer layers (for FLOP counts and layer-wise settings).</summary>
    int NumLayers { get; }

    /// <summary>Width of the residual stream (for FLOP counts and layer-wise settings).</summary>
    int HiddenSize { get; }

    /// <summary>Longest sequence the model attends over (its position limit).</summary>
    int ContextLength { get; }

    /// <summary>
    /// Recompute each layer's activations in backward instead of keeping them (transformers'
    /// gradient_checkpointing_enable): training memory holds one layer's activations, for one more forward pass.
    /// </summary>
    bool GradientCheckpointing { get; set; }

    /// <summary>Writes the model's folder (config.json and safetensors in its family's names), atomically.</summary>
    void Save(string directory);
}
