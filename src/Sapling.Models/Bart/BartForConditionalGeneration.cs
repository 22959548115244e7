using Sapling.NN;

namespace Sapling.Models.Bart;

/// <summary>
/// The encoder-decoder with its language-modelling head (Hugging Face's BartForConditionalGeneration and
/// MarianMTModel): logits = decoder states · sharedᵀ + final_logits_bias, or an untied lm_head.
/// </summary>
public sealed class BartForConditionalGeneration : Module, ISeq2SeqLM
{
    /// <summary>
    /// Creates a model for <paramref name="config"/> (validated first), initialised as transformers does with the
    /// padding row of the shared embedding at zero; <paramref name="generator"/> makes the initialisation reproducible.
    /// </summary>
    public BartForConditionalGeneration(BartConfig config, Generator? generator = null)
    {
        config.Validate($"{config.ModelType} config");
        Config = config;
        Model = RegisterModule("model", new BartModel(config, generator));
        FinalLogitsBias = RegisterBuffer("final_logits_bias", Tensor.Zeros(1, config.VocabSize));
        if (!config.TieWordEmbeddings) LmHead = RegisterModule("lm_head", new Linear(config.DModel, config.VocabSize, bias: false, generator));
        InitializeLikeHuggingFace(generator);
    }

    /// <summary>The model's config.</summary>
    public BartConfig Config { get; }
    /// <summary>model: the encoder-decoder without its output layer.</summary>
    public BartModel Model { get; }

    /// <summary>[1, vocab], added to every position's logits (kept at zero by BART's training; Marian's converted models set it).</summary>
    public Tensor FinalLogitsBias { get; }

    /// <summary>The output layer when it is not tied to the shared embedding.</summary>
    public Linear? LmHead { get; }

    /// <inheritdoc/>
    public string ModelType => Config.ModelType;
    /// <inheritdoc/>
    public Module Network => this;
    /// <summary>Encoder and decoder layers together.</summary>
    public int NumLayers => Config.EncoderLayers + Config.DecoderLayers;
    /// <inheritdoc/>
    public int HiddenSize => Config.DModel;
    /// <inheritdoc/>
    public int ContextLength => Config.MaxPositionEmbeddings;
    /// <inheritdoc/>
    public int VocabSize => Config.VocabSize;
    /// <inheritdoc/>
    public int PadTokenId => Config.PadTokenId;
    /// <inheritdoc/>
    public int EosTokenId => Config.EosTokenId;
    /// <inheritdoc/>
    public int DecoderStartTokenId => Config.DecoderStartTokenId;
    /// <inheritdoc/>
    public int? MaxSourceLength => Config.MaxPositionEmbeddings;
    /// <inheritdoc/>
    public int? MaxTargetLength => Config.MaxPositionEmbeddings;
    /// <inheritdoc/>
    public Seq2SeqDefaults GenerationDefaults => new(Config.ForcedBosTokenId, Config.ForcedEosTokenId, Config.BadWordIds);

    /// <summary>
    /// Whether training recomputes each layer in backward; setting it sets both stacks, reading it reads the encoder's.
    /// </summary>
    public bool GradientCheckpointing
    {
        get => Model.Encoder.GradientCheckpointing;
        set => Model.Encoder.GradientCheckpointing = Model.Decoder.GradientCheckpointing = value;
    }

    /// <inheritdoc/>
    public void Save(string directory) => BartFolder.Save(directory, this);

    /// <inheritdoc/>
    public EncoderOutput Encode(Tensor inputIds, Tensor? attentionMask = null)
    {
        RequireIds(inputIds, "input_ids");
        if (attentionMask != null && !attentionMask.Shape.SequenceEqual(inputIds.Shape))
            throw new ArgumentException($"{Config.ModelType}: attention_mask has shape {ShapeUtil.Format(attentionMask.Shape.ToArray())}, input_ids {ShapeUtil.Format(inputIds.Shape.ToArray())}");
        var mask = PaddingMask.From(attentionMask);
        return new EncoderOutput(Model.Encoder.Forward(inputIds, mask), attentionMask, mask);  // [B, S, d]
    }

    /// <inheritdoc/>
    public Tensor Decode(Tensor decoderIds, EncoderOutput encoderOutput, EncoderDecoderCache? cache = null)
    {
        RequireIds(decoderIds, "decoder_input_ids");
        if (decoderIds.Shape[0] != encoderOutput.Batch)
            throw new ArgumentException($"{Config.ModelType}: {decoderIds.Shape[0]} decoder rows for {encoderOutput.Batch} encoded sources");
        var hidden = Model.Decoder.Forward(decoderIds, encoderOutput.LastHiddenState, encoderOutput.Mask, cache);   // [B, T, d]
        return Head(hidden);                                                                                        // [B, T, vocab]
    }

    /// <summary>Logits [.., vocab] for decoder states [.., d].</summary>
    public Tensor Head(Tensor hidden) => (LmHead?.Forward(hidden) ?? Tensor.Linear(hidden, Model.Shared.Weight)).Add(FinalLogitsBias);

    /// <inheritdoc/>
    public EncoderDecoderCache NewCache(int batch, int maxLength) =>
        new(Config.DecoderLayers, batch, Config.DecoderAttentionHeads, Math.Min(maxLength, Config.MaxPositionEmbeddings), Config.DecoderHeadDim);

    private void RequireIds(Tensor ids, string name)
    {
        if (ids.Rank != 2) throw new ArgumentException($"{Config.ModelType}: {name} must be [batch, sequence], got shape {ShapeUtil.Format(ids.Shape.ToArray())}");
        if (ids.Shape[1] > Config.MaxPositionEmbeddings)
            throw new ArgumentException($"{Config.ModelType}: {name} has {ids.Shape[1]} tokens, more than the {Config.MaxPositionEmbeddings} positions of max_position_embeddings");
    }

    /// <summary>transformers' initialisation: normal(0, init_std) weights, zero biases and padding row, layer norms at 1 and 0.</summary>
    private void InitializeLikeHuggingFace(Generator? generator)
    {
        Init.LikeTransformers(this, Config.InitStd, generator);
        using var _ = Autograd.NoGrad.Enter();
        if (!Model.Shared.Weight.IsMeta) Model.Shared.Weight.Select(0, Config.PadTokenId).CopyFrom(Tensor.Zeros(Config.DModel));
    }
}
