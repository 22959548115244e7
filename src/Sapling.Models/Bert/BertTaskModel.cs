using Sapling.NN;

namespace Sapling.Models.Bert;

/// <summary>
/// What every BERT-family task model (the encoder under its model_type with a head: sequence or token classification,
/// masked-LM) is to the one trainer: its config, the sizes it reports and the folder it writes. The heads add their own
/// forward and task interface.
/// </summary>
public abstract class BertTaskModel : Module, ITrainableModel
{
    /// <summary>The config written with the weights (architectures and id2label included).</summary>
    public BertConfig Config { get; protected init; } = null!;

    /// <inheritdoc/>
    public string ModelType => Config.ModelType;

    /// <inheritdoc/>
    public Module Network => this;

    /// <inheritdoc/>
    public int NumLayers => Config.NumHiddenLayers;

    /// <inheritdoc/>
    public int HiddenSize => Config.HiddenSize;

    /// <summary>The longest text in tokens (<see cref="BertConfig.MaxTokens"/>).</summary>
    public int ContextLength => Config.MaxTokens;

    /// <summary>The encoder under the head (transformers' base_model), registered under the config's model_type.</summary>
    public abstract BertModel BaseModel { get; }

    /// <summary>Recompute each encoder layer's activations in backward instead of keeping them (train.gradient_checkpointing).</summary>
    public bool GradientCheckpointing
    {
        get => BaseModel.Encoder.GradientCheckpointing;
        set => BaseModel.Encoder.GradientCheckpointing = value;
    }

    /// <summary>config.json and model.safetensors in transformers' names.</summary>
    public void Save(string directory) => BertFolder.Save(directory, this, Config);
}
