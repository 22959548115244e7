using Sapling.NN;

namespace Sapling.Models.T5;

/// <summary>
/// T5 with its language-modelling head (Hugging Face's T5ForConditionalGeneration): one token embedding ("shared") read
/// by both stacks; logits = decoder states · d_model^-0.5 · sharedᵀ when tied (v1.0), or an untied lm_head (v1.1, FLAN-T5).
/// </summary>
public sealed class T5ForConditionalGeneration : Module, ISeq2SeqLM
{
    /// <summary>
    /// Creates a model for <paramref name="config"/> (validated first), initialised as transformers does;
    /// <paramref name="generator"/> makes the initialisation reproducible.
    /// </summary>
    public T5ForConditionalGeneration(T5Config config, Generator? generator = null)
    {
        config.Validate("t5 config");
        Config = config;
        Shared = RegisterModule("shared", new Embedding(config.VocabSize, config.DModel, generator));
        Encoder = RegisterModule("encoder", new T5Stack(config, Shared, isDecoder: false, generator));
        Decoder = RegisterModule("decoder", new T5Stack(config, Shared, isDecoder: true, generator));
        if (!config.TieWordEmbeddings) LmHead = RegisterModule("lm_head", new Linear(config.DModel, config.VocabSize, bias: false, generator));
        InitializeLikeHuggingFace(generator);
    }

    /// <summary>The model's config.</summary>
    public T5Config Config { get; }
    /// <summary>
    /// shared: the token embedding, vocab × d_model, read by both stacks and (tied) by the output layer.
    /// </summary>
    public Embedding Shared { get; }
    /// <summary>encoder: the encoder stack.</summary>
    public T5Stack Encoder { get; }
    /// <summary>decoder: the decoder stack.</summary>
    public T5Stack Decoder { get; }
    /// <summary>lm_head: the output layer, d_model → vocab; null when it is tied to the shared embedding.</summary>
    public Linear? LmHead { get; }

    /// <inheritdoc/>
    public string ModelType => T5Config.Type;
    /// <inheritdoc/>
    public Module Network => this;
    /// <summary>Encoder and decoder blocks together.</summary>
    public int NumLayers => Config.NumLayers + Config.NumDecoderLayers;
    /// <inheritdoc/>
    public int HiddenSize => Config.DModel;

    /// <summary>Relative positions have no limit; this is the length T5 was pre-trained at (its default max_length).</summary>
    public int ContextLength => 512;

    /// <inheritdoc/>
    public int VocabSize => Config.VocabSize;
    /// <inheritdoc/>
    public int PadTokenId => Config.PadTokenId;
    /// <inheritdoc/>
    public int EosTokenId => Config.EosTokenId;
    /// <inheritdoc/>
    public int DecoderStartTokenId => Config.DecoderStartTokenId;
    /// <summary>Null: relative positions set no limit on the source.</summary>
    public int? MaxSourceLength => null;
    /// <summary>Null: relative positions set no limit on the target.</summary>
    public int? MaxTargetLength => null;
    /// <summary>None: T5's config forces no tokens and bans none.</summary>
    public Seq2SeqDefaults GenerationDefaults => new(null, null, []);

    /// <summary>
    /// Whether training recomputes each block in backward; setting it sets both stacks, reading it reads the encoder's.
    /// </summary>
    public bool GradientCheckpointing
    {
        get => Encoder.GradientCheckpointing;
        set => Encoder.GradientCheckpointing = Decoder.GradientCheckpointing = value;
    }

    /// <inheritdoc/>
    public void Save(string directory) => T5Folder.Save(directory, this);

    /// <inheritdoc/>
    public EncoderOutput Encode(Tensor inputIds, Tensor? attentionMask = null)
    {
        RequireIds(inputIds, "input_ids");
        if (attentionMask != null && !attentionMask.Shape.SequenceEqual(inputIds.Shape))
            throw new ArgumentException($"t5: attention_mask has shape {ShapeUtil.Format(attentionMask.Shape.ToArray())}, input_ids {ShapeUtil.Format(inputIds.Shape.ToArray())}");
        var mask = PaddingMask.From(attentionMask);
        return new EncoderOutput(Encoder.Forward(inputIds, mask), attentionMask, mask);          // [B, S, d]
    }

    /// <inheritdoc/>
    public Tensor Decode(Tensor decoderIds, EncoderOutput encoderOutput, EncoderDecoderCache? cache = null)
    {
        RequireIds(decoderIds, "decoder_input_ids");
        if (decoderIds.Shape[0] != encoderOutput.Batch)
            throw new ArgumentException($"t5: {decoderIds.Shape[0]} decoder rows for {encoderOutput.Batch} encoded sources");
        var hidden = Decoder.Forward(decoderIds, null, encoderOutput.LastHiddenState, encoderOutput.Mask, cache);     // [B, T, d]
        return Head(hidden);                                                                                          // [B, T, vocab]
    }

    /// <summary>Logits [.., vocab] for decoder states [.., d]; the tied head rescales the states first (Mesh TensorFlow's rule).</summary>
    public Tensor Head(Tensor hidden) => LmHead?.Forward(hidden) ?? Tensor.Linear(hidden.Mul(1.0 / Math.Sqrt(Config.DModel)), Shared.Weight);

    /// <inheritdoc/>
    public EncoderDecoderCache NewCache(int batch, int maxLength) =>
        new(Config.NumDecoderLayers, batch, Config.NumHeads, maxLength, Config.DKv);

    private static void RequireIds(Tensor ids, string name)
    {
        if (ids.Rank != 2) throw new ArgumentException($"t5: {name} must be [batch, sequence], got shape {ShapeUtil.Format(ids.Shape.ToArray())}");
    }

    /// <summary>transformers' T5 initialisation: each projection's spread set by its fan-in, embeddings N(0, factor), norms at 1.</summary>
    private void InitializeLikeHuggingFace(Generator? generator)
    {
        float f = Config.InitializerFactor, d = Config.DModel;
        using var _ = Autograd.NoGrad.Enter();
        Init.Normal(Shared.Weight, 0f, f, generator);
        if (LmHead != null) Init.Normal(LmHead.Weight, 0f, f, generator);
        foreach (var (_, module) in NamedModules())
        {
            if (module is T5Attention a)
            {
                Init.Normal(a.Q.Weight, 0f, f / MathF.Sqrt(d * Config.DKv), generator);
                Init.Normal(a.K.Weight, 0f, f / MathF.Sqrt(d), generator);
                Init.Normal(a.V.Weight, 0f, f / MathF.Sqrt(d), generator);
                Init.Normal(a.O.Weight, 0f, f / MathF.Sqrt(Config.InnerDim), generator);
                if (a.RelativeAttentionBias != null) Init.Normal(a.RelativeAttentionBias.Weight, 0f, f / MathF.Sqrt(d), generator);
            }
            else if (module is T5DenseActDense ff)
            {
                foreach (var wi in new[] { ff.Wi, ff.Wi0, ff.Wi1 })
                    if (wi != null) Init.Normal(wi.Weight, 0f, f / MathF.Sqrt(d), generator);
                Init.Normal(ff.Wo.Weight, 0f, f / MathF.Sqrt(Config.DFf), generator);
            }
        }
    }
}
