using Sapling.NN;

namespace Sapling.Models.Llama;

// Llama (Touvron et al., 2023) and the decoders that share its layout — Mistral (Jiang et al., 2023), Qwen2 and
// Qwen3: pre-norm blocks of RMSNorm → grouped-query self-attention with rotary positions → residual, RMSNorm →
// SwiGLU MLP → residual; a final RMSNorm and a linear head, tied to the embedding or not. Parameter names are
// Hugging Face's (model.layers.{i}.self_attn.q_proj, ..., lm_head), so published checkpoints load unchanged.

/// <summary>down(silu(gate(x)) ⊙ up(x)) (Shazeer, 2020).</summary>
public sealed class LlamaMlp : Module<Tensor, Tensor>
{
    /// <summary>Creates the three projections, biased only when the config's mlp_bias says so.</summary>
    public LlamaMlp(LlamaConfig config, Generator? generator = null)
    {
        GateProj = RegisterModule("gate_proj", LlamaForCausalLM.NewLinear(config.HiddenSize, config.IntermediateSize, config.MlpBias, generator));
        UpProj = RegisterModule("up_proj", LlamaForCausalLM.NewLinear(config.HiddenSize, config.IntermediateSize, config.MlpBias, generator));
        DownProj = RegisterModule("down_proj", LlamaForCausalLM.NewLinear(config.IntermediateSize, config.HiddenSize, config.MlpBias, generator));
    }

    /// <summary>gate_proj: hidden → intermediate, the branch passed through silu.</summary>
    public Linear GateProj { get; }
    /// <summary>up_proj: hidden → intermediate, the linear branch multiplied by the gate.</summary>
    public Linear UpProj { get; }
    /// <summary>down_proj: the MLP's output projection, intermediate → hidden.</summary>
    public Linear DownProj { get; }

    // x [B, T, hidden] → [B, T, intermediate] → [B, T, hidden]
    /// <summary>The MLP for x [B, T, hidden]: [B, T, hidden].</summary>
    public override Tensor Forward(Tensor x) => DownProj.Forward(GateProj.Forward(x).Silu().Mul(UpProj.Forward(x)));
}

/// <summary>
/// Multi-head attention with fewer key/value heads than query heads (grouped-query attention, Ainslie et al., 2023),
/// queries and keys rotated by their positions; Qwen3 first RMS-normalises each query and key head.
/// </summary>
public sealed class LlamaAttention : Module<Tensor, Tensor>
{
    private readonly LlamaConfig config;

    /// <summary>
    /// Creates the q, k, v and o projections (and Qwen3's per-head norms), biased as the config says.
    /// </summary>
    public LlamaAttention(LlamaConfig config, Generator? generator = null)
    {
        this.config = config;
        int q = config.NumAttentionHeads * config.HeadDim, kv = config.NumKeyValueHeads * config.HeadDim;
        QProj = RegisterModule("q_proj", LlamaForCausalLM.NewLinear(config.HiddenSize, q, config.QkvBias, generator));
        KProj = RegisterModule("k_proj", LlamaForCausalLM.NewLinear(config.HiddenSize, kv, config.QkvBias, generator));
        VProj = RegisterModule("v_proj", LlamaForCausalLM.NewLinear(config.HiddenSize, kv, config.QkvBias, generator));
        OProj = RegisterModule("o_proj", LlamaForCausalLM.NewLinear(q, config.HiddenSize, config.OutputBias, generator));
        if (config.QkNorm)
        {
            QNorm = RegisterModule("q_norm", new RMSNorm(config.HeadDim, config.RmsNormEps));
            KNorm = RegisterModule("k_norm", new RMSNorm(config.HeadDim, config.RmsNormEps));
        }
    }

    /// <summary>q_proj: hidden → heads × head_dim, the queries.</summary>
    public Linear QProj { get; }
    /// <summary>k_proj: hidden → key/value heads × head_dim, the keys.</summary>
    public Linear KProj { get; }
    /// <summary>v_proj: hidden → key/value heads × head_dim, the values.</summary>
    public Linear VProj { get; }
    /// <summary>o_proj: the attention's output projection, heads × head_dim → hidden.</summary>
    public Linear OProj { get; }
    /// <summary>q_norm: RMSNorm over each query head's head_dim (Qwen3); null for the other types.</summary>
    public RMSNorm? QNorm { get; }
    /// <summary>k_norm: RMSNorm over each key head's head_dim (Qwen3); null for the other types.</summary>
    public RMSNorm? KNorm { get; }

    /// <summary>Always throws: attention needs the rotary tables, which <see cref="LlamaModel"/> passes in.</summary>
    public override Tensor Forward(Tensor x) => throw new InvalidOperationException("LlamaAttention needs the rotary tables: call it through LlamaModel");

    /// <param name="x">[B, T, hidden]</param>
    /// <param name="cos">[B or 1, 1, T, head_dim], with <paramref name="sin"/>, for these tokens' positions</param>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, IKvCache? cache, int layer, int[]? leftPadding)
    {
        int b = x.Shape[0], t = x.Shape[1], d = config.HeadDim;
        var q = Heads(QProj.Forward(x), b, t, config.NumAttentionHeads, QNorm);     // [B, H, T, d]
        var k = Heads(KProj.Forward(x), b, t, config.NumKeyValueHeads, KNorm);      // [B, KV, T, d]
        var v = Heads(VProj.Forward(x), b, t, config.NumKeyValueHeads, null);       // [B, KV, T, d]
        q = RotaryEmbedding.Apply(q, cos, sin);
        k = RotaryEmbedding.Apply(k, cos, sin);
        int window = config.SlidingWindow ?? 0;
        // With a cache, the new keys join the cached ones [B, KV, past + T, d] inside it.
        var attended = cache?.Attend(layer, q, k, v, window)
            ?? Tensor.CausalAttention(q, k, v, keyStart: leftPadding, window: window);       // [B, H, T, d]
        return OProj.Forward(attended.Transpose(1, 2).Reshape(b, t, config.NumAttentionHeads * d));
    }

    // [B, T, heads·d] → [B, heads, T, d], each head normalised first when the model says so.
    private Tensor Heads(Tensor projected, int b, int t, int heads, RMSNorm? norm)
    {
        var split = projected.Reshape(b, t, heads, config.HeadDim);
        if (norm != null) split = norm.Forward(split);
        return split.Transpose(1, 2);
    }
}

/// <summary>x + attn(norm(x)), then x + mlp(norm(x)).</summary>
public sealed class LlamaDecoderLayer : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer's attention, MLP and two RMSNorms.</summary>
    public LlamaDecoderLayer(LlamaConfig config, Generator? generator = null)
    {
        SelfAttn = RegisterModule("self_attn", new LlamaAttention(config, generator));
        Mlp = RegisterModule("mlp", new LlamaMlp(config, generator));
        InputLayernorm = RegisterModule("input_layernorm", new RMSNorm(config.HiddenSize, config.RmsNormEps));
        PostAttentionLayernorm = RegisterModule("post_attention_layernorm", new RMSNorm(config.HiddenSize, config.RmsNormEps));
    }

    /// <summary>self_attn: grouped-query self-attention with rotary positions.</summary>
    public LlamaAttention SelfAttn { get; }
    /// <summary>mlp: the SwiGLU feed-forward network.</summary>
    public LlamaMlp Mlp { get; }
    /// <summary>input_layernorm: the RMSNorm applied before attention.</summary>
    public RMSNorm InputLayernorm { get; }
    /// <summary>post_attention_layernorm: the RMSNorm applied before the MLP.</summary>
    public RMSNorm PostAttentionLayernorm { get; }

    /// <summary>Always throws: the layer needs the rotary tables, which <see cref="LlamaModel"/> passes in.</summary>
    public override Tensor Forward(Tensor x) => throw new InvalidOperationException("LlamaDecoderLayer needs the rotary tables: call it through LlamaModel");

    /// <summary>
    /// The layer for x [B, T, hidden]: [B, T, hidden]. <paramref name="cos"/> and <paramref name="sin"/> are the rotary
    /// tables for these positions; <paramref name="cache"/> and <paramref name="layer"/> say where keys and values are
    /// kept; <paramref name="leftPadding"/> gives each row's leading padding (used when there is no cache).
    /// </summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, IKvCache? cache, int layer, int[]? leftPadding)
    {
        x = x.Add(SelfAttn.Forward(InputLayernorm.Forward(x), cos, sin, cache, layer, leftPadding));
        return x.Add(Mlp.Forward(PostAttentionLayernorm.Forward(x)));
    }
}

/// <summary>Token embeddings, the decoder layers and the final norm: hidden states [B, T, hidden].</summary>
public sealed class LlamaModel : Module<Tensor, Tensor>
{
    private readonly List<LlamaDecoderLayer> layers = new();

    /// <summary>
    /// Creates the embedding (initialised N(0, 0.02)), the decoder layers, the final norm and the rotary tables.
    /// </summary>
    public LlamaModel(LlamaConfig config, Generator? generator = null)
    {
        Config = config;
        EmbedTokens = RegisterModule("embed_tokens", new Embedding(config.VocabSize, config.HiddenSize, generator));
        Init.Normal(EmbedTokens.Weight, 0f, 0.02f, generator);
        var list = RegisterModule("layers", new Sequential());
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            var layer = new LlamaDecoderLayer(config, generator);
            list.Add(layer);
            layers.Add(layer);
        }
        Norm = RegisterModule("norm", new RMSNorm(config.HiddenSize, config.RmsNormEps));
        Rotary = new RotaryEmbedding(config.HeadDim, config.RopeTheta, config.MaxPositionEmbeddings, config.RopeScaling);
    }

    /// <summary>The model's config; its vocab_size follows <c>ResizeTokenEmbeddings</c>.</summary>
    public LlamaConfig Config { get; private set; }

    /// <summary>Whether training recomputes each layer in backward (<see cref="ITrainableModel.GradientCheckpointing"/>).</summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>embed_tokens: the token embedding, vocab × hidden.</summary>
    public Embedding EmbedTokens { get; private set; }
    /// <summary>layers: the decoder layers in order (model.layers.{i} in the checkpoint).</summary>
    public IReadOnlyList<LlamaDecoderLayer> Layers => layers;

    /// <summary>The token embedding grown to <paramref name="vocabSize"/> rows (see <see cref="ICausalLM.ResizeTokenEmbeddings"/>).</summary>
    internal void ResizeTokenEmbeddings(int vocabSize)
    {
        EmbedTokens = ReplaceChild("embed_tokens", EmbedTokens.Resized(vocabSize));
        Config = Config with { VocabSize = vocabSize };
    }
    /// <summary>norm: the final RMSNorm, applied after the last layer.</summary>
    public RMSNorm Norm { get; }
    /// <summary>The rotary position tables (no parameters, so not in the state_dict).</summary>
    public RotaryEmbedding Rotary { get; }

    /// <summary>Hidden states [B, T, hidden] for ids [B, T], without a cache or padding.</summary>
    public override Tensor Forward(Tensor ids) => Forward(ids, null, null);

    /// <summary>
    /// Hidden states [B, T, hidden] for ids [B, T]. With a cache the ids continue what it holds; left-padded rows
    /// give their real tokens positions from 0 and no query attends to the padding.
    /// </summary>
    public Tensor Forward(Tensor ids, IKvCache? cache, int[]? leftPadding)
    {
        if (ids.Rank != 2) throw new ArgumentException($"{Config.ModelType}: token ids must be [batch, time], got shape {ShapeUtil.Format(ids.Shape.ToArray())}");
        int b = ids.Shape[0], t = ids.Shape[1];
        if (leftPadding != null && leftPadding.Length != b) throw new ArgumentException($"{Config.ModelType}: {leftPadding.Length} padding lengths for a batch of {b}");
        if ((cache?.Length ?? 0) + t > Config.MaxPositionEmbeddings && Config.RopeScaling.Type != NN.RopeType.Dynamic)
            throw new ArgumentException($"{Config.ModelType}: {(cache?.Length ?? 0) + t} positions exceed the model's context of {Config.MaxPositionEmbeddings} (max_position_embeddings)");
        var positions = cache?.Positions(b, t, leftPadding) ?? Positions(b, t, leftPadding);
        var (cos, sin) = Rotary.Tables(positions, b, t);                             // [B, 1, T, head_dim]
        var x = EmbedTokens.Forward(ids);                                             // [B, T, hidden]
        bool recompute = GradientCheckpointing && Training && cache == null;
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            int index = i;
            x = RunLayer(layer, x, recompute, h => layer.Forward(h, cos, sin, cache, index, leftPadding));
        }
        return Norm.Forward(x);
    }

    /// <summary>Positions 0 .. t − 1 of each row, counted from its first real token when it is left-padded.</summary>
    private static long[] Positions(int b, int t, int[]? leftPadding)
    {
        var positions = new long[b * t];
        for (int r = 0; r < b; r++)
            for (int i = 0; i < t; i++) positions[r * t + i] = Math.Max(0, i - (leftPadding?[r] ?? 0));
        return positions;
    }
}

/// <summary>The decoder with its language-modelling head: logits over the vocabulary.</summary>
public sealed class LlamaForCausalLM : Module<Tensor, Tensor>, ICausalLM
{
    /// <summary>
    /// Creates a randomly initialised model for <paramref name="config"/> (validated first);
    /// <paramref name="generator"/> makes the initialisation reproducible. Load a checkpoint with
    /// <see cref="LlamaFolder.Load"/>.
    /// </summary>
    public LlamaForCausalLM(LlamaConfig config, Generator? generator = null)
    {
        config.Validate($"{config.ModelType} config");
        Config = config;
        Model = RegisterModule("model", new LlamaModel(config, generator));
        if (!config.TieWordEmbeddings) LmHead = RegisterModule("lm_head", NewLinear(config.HiddenSize, config.VocabSize, false, generator));
    }

    /// <summary>The model's config; its vocab_size follows <see cref="ResizeTokenEmbeddings"/>.</summary>
    public LlamaConfig Config { get; private set; }
    /// <summary>model: the decoder without its output layer.</summary>
    public LlamaModel Model { get; }

    /// <summary>The output layer; null when it is tied to the token embedding.</summary>
    public Linear? LmHead { get; private set; }

    /// <inheritdoc/>
    public void ResizeTokenEmbeddings(int vocabSize)
    {
        if (vocabSize == Config.VocabSize) return;
        Model.ResizeTokenEmbeddings(vocabSize);
        if (LmHead != null)
        {
            var head = new Linear(Config.HiddenSize, vocabSize, bias: false);
            using (Autograd.NoGrad.Enter()) head.Weight.CopyFrom(Embedding.GrowRows(LmHead.Weight, vocabSize));
            head.Weight.RequiresGrad = LmHead.Weight.RequiresGrad;
            LmHead = ReplaceChild("lm_head", head);
        }
        Config = Config with { VocabSize = vocabSize };
    }

    /// <inheritdoc/>
    public string ModelType => Config.ModelType;
    /// <inheritdoc/>
    public int VocabSize => Config.VocabSize;
    /// <inheritdoc/>
    public int ContextLength => Config.MaxPositionEmbeddings;
    /// <inheritdoc/>
    public IReadOnlyList<int> EosTokenIds => Config.EosTokenIds;
    /// <inheritdoc/>
    public Module Network => this;
    /// <inheritdoc/>
    public int NumLayers => Config.NumHiddenLayers;
    /// <inheritdoc/>
    public int HiddenSize => Config.HiddenSize;

    /// <inheritdoc/>
    public void Save(string directory) => LlamaFolder.Save(directory, this);

    /// <inheritdoc/>
    public bool GradientCheckpointing
    {
        get => Model.GradientCheckpointing;
        set => Model.GradientCheckpointing = value;
    }

    /// <summary>Logits [B, T, vocab] for ids [B, T], without a cache or padding.</summary>
    public override Tensor Forward(Tensor ids) => Forward(ids, null, null);

    /// <inheritdoc/>
    public Tensor Forward(Tensor ids, IKvCache? cache = null, int[]? leftPadding = null) => Head(Model.Forward(ids, cache, leftPadding));

    /// <inheritdoc/>
    public Tensor LastPositionLogits(Tensor ids, IKvCache? cache = null, int[]? leftPadding = null)
    {
        var hidden = Model.Forward(ids, cache, leftPadding);
        int b = hidden.Shape[0], t = hidden.Shape[1];
        return Head(hidden.Narrow(1, t - 1, 1)).Reshape(b, Config.VocabSize);
    }

    /// <inheritdoc/>
    public Tensor NextTokenLoss(Tensor ids, Tensor targets, Reduction reduction = Reduction.Mean, long ignoreIndex = -100)
    {
        var hidden = Model.Forward(ids, null, null);                                    // [B, T, hidden]
        // An int8 head has no float matrix for the chunked loss; inference-only, so its logits are small enough.
        if (LmHead?.Quantized != null || Model.EmbedTokens.Quantized != null)
            return Tensor.CrossEntropy(Head(hidden).Reshape(-1, Config.VocabSize), targets.Reshape(-1), reduction, ignoreIndex);
        return Tensor.LinearCrossEntropy(hidden.Reshape(-1, Config.HiddenSize), LmHead?.Weight ?? Model.EmbedTokens.Weight, targets.Reshape(-1), reduction, ignoreIndex);
    }

    /// <summary>Logits [.., vocab] for hidden states [.., hidden]: lm_head, or the token embedding when tied.</summary>
    public Tensor Head(Tensor hidden) => LmHead?.Forward(hidden)
        ?? (Model.EmbedTokens.Quantized is { } table ? Tensor.QuantizedLinear(hidden, table) : Tensor.Linear(hidden, Model.EmbedTokens.Weight));

    /// <inheritdoc/>
    public KvCache NewCache(int batch, int maxLength) =>
        new(Config.NumHiddenLayers, batch, Config.NumKeyValueHeads, Math.Min(maxLength, Config.MaxPositionEmbeddings), Config.HeadDim);

    /// <summary>A bias-free (or biased) projection initialised N(0, 0.02), transformers' initializer_range.</summary>
    internal static Linear NewLinear(int inFeatures, int outFeatures, bool bias, Generator? generator)
    {
        var linear = new Linear(inFeatures, outFeatures, bias, generator);
        Init.Normal(linear.Weight, 0f, 0.02f, generator);
        if (linear.Bias != null) Init.Zeros(linear.Bias);
        return linear;
    }
}
