using Sapling.NN;

namespace Sapling.Models.DistilBert;

/// <summary>
/// What every DistilBERT task model (the encoder under "distilbert" with a head: sequence or token classification) is
/// to the one trainer: its config, the sizes it reports, gradient checkpointing and the folder it writes. The heads add
/// their own forward and task interface.
/// </summary>
public abstract class DistilBertTaskModel : Module, ITrainableModel
{
    /// <summary>
    /// Registers <paramref name="distilbert"/> under "distilbert" and keeps <paramref name="config"/> as the config the
    /// folder is written with.
    /// </summary>
    protected DistilBertTaskModel(DistilBertModel distilbert, DistilBertConfig config)
    {
        Config = config;
        Distilbert = RegisterModule("distilbert", distilbert);
    }

    /// <summary>The config written with the weights (architectures and id2label included).</summary>
    public DistilBertConfig Config { get; }

    /// <summary>The encoder under the head (transformers' base_model).</summary>
    public DistilBertModel Distilbert { get; }

    /// <inheritdoc/>
    public string ModelType => DistilBertConfig.Type;

    /// <inheritdoc/>
    public Module Network => this;

    /// <inheritdoc/>
    public int NumLayers => Config.NLayers;

    /// <inheritdoc/>
    public int HiddenSize => Config.Dim;

    /// <inheritdoc/>
    public int ContextLength => Config.MaxPositionEmbeddings;

    /// <summary>Recompute each encoder layer's activations in backward instead of keeping them (train.gradient_checkpointing).</summary>
    public bool GradientCheckpointing
    {
        get => Distilbert.Transformer.GradientCheckpointing;
        set => Distilbert.Transformer.GradientCheckpointing = value;
    }

    /// <summary>config.json and model.safetensors in transformers' names.</summary>
    public void Save(string directory) => DistilBertFolder.Save(directory, this, Config);
}
