using Sapling.NN;

namespace Sapling.Models.Bart;

// BART (Lewis et al., "BART: Denoising Sequence-to-Sequence Pre-training for Natural Language Generation, Translation,
// and Comprehension", 2020) and Marian (Junczys-Dowmunt et al., 2018; the opus-mt models), both the Transformer of
// Vaswani et al. (2017) with post-norm layers, under Hugging Face's module names so their checkpoints load unchanged.
// The building blocks first: multi-head attention (self or over the encoder), the encoder layer, the decoder layer,
// the positions; then the encoder and decoder stacks and the model that shares one token embedding between them.

/// <summary>
/// Multi-head attention (Hugging Face's BartAttention): queries from one sequence, keys and values from the same one
/// (self-attention) or from the encoder's output (cross-attention), scaled by head_dim^-0.5.
/// </summary>
public sealed class BartAttention : Module
{
    private readonly int heads, headDim;

    /// <summary>
    /// Creates the four d_model → d_model projections (with biases) for <paramref name="heads"/> heads;
    /// <paramref name="dropout"/> is the attention-probability dropout.
    /// </summary>
    public BartAttention(int dModel, int heads, float dropout, Generator? generator)
    {
        (this.heads, headDim) = (heads, dModel / heads);
        KProj = RegisterModule("k_proj", new Linear(dModel, dModel, generator: generator));
        VProj = RegisterModule("v_proj", new Linear(dModel, dModel, generator: generator));
        QProj = RegisterModule("q_proj", new Linear(dModel, dModel, generator: generator));
        OutProj = RegisterModule("out_proj", new Linear(dModel, dModel, generator: generator));
        Dropout = RegisterModule("dropout", new Dropout(dropout));
    }

    /// <summary>k_proj: the key projection, d_model → d_model.</summary>
    public Linear KProj { get; }
    /// <summary>v_proj: the value projection, d_model → d_model.</summary>
    public Linear VProj { get; }
    /// <summary>q_proj: the query projection, d_model → d_model.</summary>
    public Linear QProj { get; }
    /// <summary>out_proj: the output projection of the merged heads, d_model → d_model.</summary>
    public Linear OutProj { get; }

    /// <summary>Dropout on the attention probabilities (attention_dropout), in training.</summary>
    public Dropout Dropout { get; }

    private double Scale => 1.0 / Math.Sqrt(headDim);
    private bool DropsProbabilities => Dropout.Training && Dropout.P > 0;

    /// <summary>[B, T, d_model] → [B, heads, T, head_dim]</summary>
    private Tensor Heads(Linear projection, Tensor x) =>
        projection.Forward(x).Reshape(x.Shape[0], x.Shape[1], heads, headDim).Permute(0, 2, 1, 3);

    /// <summary>[B, heads, T, head_dim] → [B, T, d_model], then the output projection.</summary>
    private Tensor Merge(Tensor context, int b, int t) => OutProj.Forward(context.Permute(0, 2, 1, 3).Reshape(b, t, heads * headDim));

    /// <summary>Bidirectional self-attention over the unpadded keys (the encoder). x [B, S, d] → [B, S, d]</summary>
    public Tensor SelfAttention(Tensor x, PaddingMask? mask) => Merge(Attend(Heads(QProj, x), Heads(KProj, x), Heads(VProj, x), mask), x.Shape[0], x.Shape[1]);

    /// <summary>
    /// Causal self-attention (the decoder): position i sees positions ≤ i. With a cache, x holds the positions after
    /// those cached and its keys and values join them. x [B, T, d] → [B, T, d]
    /// </summary>
    public Tensor CausalSelfAttention(Tensor x, KvCache? cache, int layer)
    {
        int b = x.Shape[0], t = x.Shape[1];
        var q = Heads(QProj, x);
        var k = Heads(KProj, x);
        var v = Heads(VProj, x);
        Tensor context;                                                                  // [B, heads, T, head_dim]
        if (cache != null) context = cache.Attend(layer, q, k, v);
        else if (!DropsProbabilities) context = Tensor.CausalAttention(q, k, v);
        else context = Dropout.Forward(Tensor.CausalAttentionWeights(q, k, Scale)).MatMul(v);
        return Merge(context, b, t);
    }

    /// <summary>
    /// Cross-attention of the decoder's positions x [B, T, d] over the encoder's states [B, S, d] (their padding
    /// masked); with a cache the encoder's keys and values are projected once per generation.
    /// </summary>
    public Tensor CrossAttention(Tensor x, Tensor encoderStates, PaddingMask? sourceMask, EncoderDecoderCache? cache, int layer)
    {
        var (k, v) = cache?.CrossAttention(layer, () => (Heads(KProj, encoderStates), Heads(VProj, encoderStates)))
            ?? (Heads(KProj, encoderStates), Heads(VProj, encoderStates));                              // [B, heads, S, head_dim]
        return Merge(Attend(Heads(QProj, x), k, v, sourceMask), x.Shape[0], x.Shape[1]);
    }

    // softmax(q·kᵀ·scale + padding)·v without a causal mask: the fused kernel when the padding is at the end of each row
    // and no dropout falls on the probabilities, else the composed form autograd and any mask pattern take.
    private Tensor Attend(Tensor q, Tensor k, Tensor v, PaddingMask? mask)
    {
        if ((mask == null || mask.KeyLengths != null) && !DropsProbabilities)
            return Tensor.ScaledDotProductAttention(q, k, v, mask?.KeyLengths, Scale);
        var scores = q.MatMul(k.Transpose(-1, -2)).Mul(Scale);                          // [B, heads, T, S]
        if (mask != null) scores = scores.Add(mask.Bias);
        return Dropout.Forward(scores.Softmax(-1)).MatMul(v);
    }
}

/// <summary>The position-wise feed-forward fc2(act(fc1(x))) with activation dropout between, as both layers use it.</summary>
internal static class BartFeedForward
{
    public static Tensor Forward(Linear fc1, Linear fc2, Dropout activationDropout, string activation, Tensor x)
    {
        var h = fc1.Forward(x);
        h = activation switch
        {
            "gelu" => h.Gelu(),
            "gelu_new" => h.Gelu(tanhApproximation: true),
            "relu" => h.Relu(),
            _ => h.Silu(),
        };
        return fc2.Forward(activationDropout.Forward(h));
    }
}

/// <summary>Self-attention, then the feed-forward, each added to its input and layer-normed (post-norm).</summary>
public sealed class BartEncoderLayer : Module
{
    private readonly string activation;

    /// <summary>
    /// Creates the layer's self-attention, feed-forward, two layer norms and dropouts from the encoder_* sizes.
    /// </summary>
    public BartEncoderLayer(BartConfig config, Generator? generator)
    {
        activation = config.ActivationFunction;
        SelfAttn = RegisterModule("self_attn", new BartAttention(config.DModel, config.EncoderAttentionHeads, config.AttentionDropout, generator));
        SelfAttnLayerNorm = RegisterModule("self_attn_layer_norm", new LayerNorm(config.DModel));
        Fc1 = RegisterModule("fc1", new Linear(config.DModel, config.EncoderFfnDim, generator: generator));
        Fc2 = RegisterModule("fc2", new Linear(config.EncoderFfnDim, config.DModel, generator: generator));
        FinalLayerNorm = RegisterModule("final_layer_norm", new LayerNorm(config.DModel));
        Dropout = RegisterModule("dropout", new Dropout(config.Dropout));
        ActivationDropout = RegisterModule("activation_dropout", new Dropout(config.ActivationDropout));
    }

    /// <summary>self_attn: bidirectional self-attention over the source.</summary>
    public BartAttention SelfAttn { get; }
    /// <summary>self_attn_layer_norm: the layer norm after the self-attention's residual add.</summary>
    public LayerNorm SelfAttnLayerNorm { get; }
    /// <summary>fc1: the feed-forward's first projection, d_model → encoder_ffn_dim.</summary>
    public Linear Fc1 { get; }
    /// <summary>fc2: the feed-forward's second projection, encoder_ffn_dim → d_model.</summary>
    public Linear Fc2 { get; }
    /// <summary>final_layer_norm: the layer norm after the feed-forward's residual add.</summary>
    public LayerNorm FinalLayerNorm { get; }
    /// <summary>Dropout on each sublayer's output before its residual add (dropout).</summary>
    public Dropout Dropout { get; }
    /// <summary>Dropout after the feed-forward's activation (activation_dropout).</summary>
    public Dropout ActivationDropout { get; }

    /// <summary>x [B, S, d] → [B, S, d]</summary>
    public Tensor Forward(Tensor x, PaddingMask? mask)
    {
        x = SelfAttnLayerNorm.Forward(x.Add(Dropout.Forward(SelfAttn.SelfAttention(x, mask))));
        return FinalLayerNorm.Forward(x.Add(Dropout.Forward(BartFeedForward.Forward(Fc1, Fc2, ActivationDropout, activation, x))));
    }
}

/// <summary>Causal self-attention, cross-attention over the encoder, then the feed-forward; each post-norm.</summary>
public sealed class BartDecoderLayer : Module
{
    private readonly string activation;

    /// <summary>
    /// Creates the layer's self-attention, cross-attention, feed-forward, three layer norms and dropouts from the
    /// decoder_* sizes.
    /// </summary>
    public BartDecoderLayer(BartConfig config, Generator? generator)
    {
        activation = config.ActivationFunction;
        SelfAttn = RegisterModule("self_attn", new BartAttention(config.DModel, config.DecoderAttentionHeads, config.AttentionDropout, generator));
        SelfAttnLayerNorm = RegisterModule("self_attn_layer_norm", new LayerNorm(config.DModel));
        EncoderAttn = RegisterModule("encoder_attn", new BartAttention(config.DModel, config.DecoderAttentionHeads, config.AttentionDropout, generator));
        EncoderAttnLayerNorm = RegisterModule("encoder_attn_layer_norm", new LayerNorm(config.DModel));
        Fc1 = RegisterModule("fc1", new Linear(config.DModel, config.DecoderFfnDim, generator: generator));
        Fc2 = RegisterModule("fc2", new Linear(config.DecoderFfnDim, config.DModel, generator: generator));
        FinalLayerNorm = RegisterModule("final_layer_norm", new LayerNorm(config.DModel));
        Dropout = RegisterModule("dropout", new Dropout(config.Dropout));
        ActivationDropout = RegisterModule("activation_dropout", new Dropout(config.ActivationDropout));
    }

    /// <summary>self_attn: causal self-attention over the target so far.</summary>
    public BartAttention SelfAttn { get; }
    /// <summary>self_attn_layer_norm: the layer norm after the self-attention's residual add.</summary>
    public LayerNorm SelfAttnLayerNorm { get; }
    /// <summary>encoder_attn: cross-attention over the encoder's states.</summary>
    public BartAttention EncoderAttn { get; }
    /// <summary>encoder_attn_layer_norm: the layer norm after the cross-attention's residual add.</summary>
    public LayerNorm EncoderAttnLayerNorm { get; }
    /// <summary>fc1: the feed-forward's first projection, d_model → decoder_ffn_dim.</summary>
    public Linear Fc1 { get; }
    /// <summary>fc2: the feed-forward's second projection, decoder_ffn_dim → d_model.</summary>
    public Linear Fc2 { get; }
    /// <summary>final_layer_norm: the layer norm after the feed-forward's residual add.</summary>
    public LayerNorm FinalLayerNorm { get; }
    /// <summary>Dropout on each sublayer's output before its residual add (dropout).</summary>
    public Dropout Dropout { get; }
    /// <summary>Dropout after the feed-forward's activation (activation_dropout).</summary>
    public Dropout ActivationDropout { get; }

    /// <summary>x [B, T, d] over encoder states [B, S, d] → [B, T, d]</summary>
    public Tensor Forward(Tensor x, Tensor encoderStates, PaddingMask? sourceMask, EncoderDecoderCache? cache, int layer)
    {
        x = SelfAttnLayerNorm.Forward(x.Add(Dropout.Forward(SelfAttn.CausalSelfAttention(x, cache?.Self, layer))));
        x = EncoderAttnLayerNorm.Forward(x.Add(Dropout.Forward(EncoderAttn.CrossAttention(x, encoderStates, sourceMask, cache, layer))));
        return FinalLayerNorm.Forward(x.Add(Dropout.Forward(BartFeedForward.Forward(Fc1, Fc2, ActivationDropout, activation, x))));
    }
}

/// <summary>
/// Positions as vectors: BART's learned table, read two rows down (Hugging Face's BartLearnedPositionalEmbedding,
/// "embed_positions.weight" [max_position_embeddings + 2, d], registered by the stack that owns it); Marian's fixed
/// sinusoid, which is not a parameter (a checkpoint's copy of it is not read, and one is written for transformers).
/// </summary>
public sealed class BartPositions
{
    private const int LearnedOffset = 2;
    private readonly BartConfig config;
    private Tensor? sinusoid;

    /// <summary>
    /// Creates the positions of one stack: <paramref name="learned"/> is BART's table, or null for Marian's sinusoid.
    /// </summary>
    public BartPositions(BartConfig config, Embedding? learned) => (this.config, Learned) = (config, learned);

    /// <summary>BART's table; null for Marian.</summary>
    public Embedding? Learned { get; }

    /// <summary>Vectors [1, T, d] for positions start .. start + T − 1.</summary>
    public Tensor Forward(int start, int t)
    {
        if (start + t > config.MaxPositionEmbeddings)
            throw new ArgumentException($"{config.ModelType}: {start + t} positions exceed max_position_embeddings {config.MaxPositionEmbeddings}");
        if (Learned != null)
        {
            var ids = new long[t];
            for (int i = 0; i < t; i++) ids[i] = start + i + LearnedOffset;
            return Learned.Forward(Tensor.FromArray(ids, 1, t));
        }
        sinusoid ??= Sinusoid(config.MaxPositionEmbeddings, config.DModel).KeepAlive();
        return sinusoid.Narrow(0, start, t).Unsqueeze(0);
    }

    /// <summary>A learned table for a BART stack ("embed_positions"); null for Marian.</summary>
    internal static Embedding? NewLearned(BartConfig config, Generator? generator) =>
        config.SinusoidalPositions ? null : new Embedding(config.MaxPositionEmbeddings + LearnedOffset, config.DModel, generator);

    /// <summary>Marian's table [positions, dim]: row p holds sin(p / 10000^(2i/dim)) for i below half the width, then the cosines.</summary>
    public static Tensor Sinusoid(int positions, int dim)
    {
        int half = (dim + 1) / 2;
        var table = new float[positions * dim];
        for (int p = 0; p < positions; p++)
            for (int j = 0; j < dim; j++)
            {
                // Column j holds angle index 2·(j / 2) of the reference's interleaved layout, split into sines then cosines.
                int source = j < half ? 2 * j : 2 * (j - half) + 1;
                double angle = p / Math.Pow(10000.0, 2 * (source / 2) / (double)dim);
                table[p * dim + j] = (float)(j < half ? Math.Sin(angle) : Math.Cos(angle));
            }
        return Tensor.FromArray(table, positions, dim);
    }
}

/// <summary>
/// What the encoder and decoder stacks share: the token embedding (scaled), the positions, BART's embedding norm and
/// dropout in front of a list of layers named "layers".
/// </summary>
public abstract class BartStack<TLayer> : Module where TLayer : Module
{
    private readonly BartConfig config;
    private readonly Embedding tokens;

    /// <summary>
    /// Creates a stack of <paramref name="count"/> layers made by <paramref name="newLayer"/>, reading the
    /// <paramref name="shared"/> token embedding (owned by <see cref="BartModel"/>, not registered here).
    /// </summary>
    protected BartStack(BartConfig config, Embedding shared, int count, Func<TLayer> newLayer, Generator? generator)
    {
        this.config = config;
        tokens = shared;
        var learned = BartPositions.NewLearned(config, generator);
        if (learned != null) RegisterModule("embed_positions", learned);
        Positions = new BartPositions(config, learned);
        LayerList = RegisterModule("layers", new ModuleList<TLayer>());
        for (int i = 0; i < count; i++) LayerList.Add(newLayer());
        if (config.LayerNormEmbedding) LayernormEmbedding = RegisterModule("layernorm_embedding", new LayerNorm(config.DModel));
        Dropout = RegisterModule("dropout", new Dropout(config.Dropout));
    }

    /// <summary>The stack's positions (its embed_positions table for BART, the sinusoid for Marian).</summary>
    public BartPositions Positions { get; }
    /// <summary>layers: the stack's layers in order.</summary>
    public IReadOnlyList<TLayer> Layers => LayerList;
    /// <summary>layernorm_embedding: the norm over the summed embeddings (BART); null for Marian.</summary>
    public LayerNorm? LayernormEmbedding { get; }
    /// <summary>Dropout on the embeddings (dropout).</summary>
    public Dropout Dropout { get; }

    /// <summary>Whether training recomputes each layer in backward instead of keeping its activations.</summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>The registered "layers" list, for the derived stacks' forward passes.</summary>
    protected ModuleList<TLayer> LayerList { get; }

    /// <summary>Token embeddings (scaled), positions from <paramref name="start"/>, the embedding norm, dropout: ids [B, T] → [B, T, d].</summary>
    protected Tensor Embed(Tensor ids, int start)
    {
        var x = tokens.Forward(ids);                                                    // [B, T, d]
        if (config.ScaleEmbedding) x = x.Mul(Math.Sqrt(config.DModel));
        x = x.Add(Positions.Forward(start, ids.Shape[1]));                              // + [1, T, d]
        if (LayernormEmbedding != null) x = LayernormEmbedding.Forward(x);
        return Dropout.Forward(x);
    }
}

/// <summary>The encoder stack: embeddings, then bidirectional post-norm layers over the source.</summary>
public sealed class BartEncoder(BartConfig config, Embedding shared, Generator? generator)
    : BartStack<BartEncoderLayer>(config, shared, config.EncoderLayers, () => new BartEncoderLayer(config, generator), generator)
{
    /// <summary>ids [B, S] → states [B, S, d]</summary>
    public Tensor Forward(Tensor ids, PaddingMask? mask)
    {
        var x = Embed(ids, 0);
        bool recompute = GradientCheckpointing && Training;
        foreach (var layer in LayerList) x = RunLayer(layer, x, recompute, h => layer.Forward(h, mask));
        return x;
    }
}

/// <summary>The decoder stack: embeddings of the target so far, then causal layers that also attend over the encoder.</summary>
public sealed class BartDecoder(BartConfig config, Embedding shared, Generator? generator)
    : BartStack<BartDecoderLayer>(config, shared, config.DecoderLayers, () => new BartDecoderLayer(config, generator), generator)
{
    /// <summary>
    /// Target ids [B, T] (with a cache: the positions after those it holds) over encoder states [B, S, d] → decoder
    /// states [B, T, d].
    /// </summary>
    public Tensor Forward(Tensor ids, Tensor encoderStates, PaddingMask? sourceMask, EncoderDecoderCache? cache)
    {
        var x = Embed(ids, cache?.Length ?? 0);
        bool recompute = GradientCheckpointing && Training && cache == null;
        for (int i = 0; i < LayerList.Count; i++)
        {
            var layer = LayerList[i];
            int index = i;
            x = RunLayer(layer, x, recompute, h => layer.Forward(h, encoderStates, sourceMask, cache, index));
        }
        return x;
    }
}

/// <summary>
/// The encoder-decoder (Hugging Face's BartModel / MarianModel): one token embedding ("shared") read by the encoder,
/// the decoder and, tied, the output layer.
/// </summary>
public sealed class BartModel : Module
{
    /// <summary>Creates the shared embedding and the encoder and decoder stacks that read it.</summary>
    public BartModel(BartConfig config, Generator? generator = null)
    {
        Config = config;
        Shared = RegisterModule("shared", new Embedding(config.VocabSize, config.DModel, generator));
        Encoder = RegisterModule("encoder", new BartEncoder(config, Shared, generator));
        Decoder = RegisterModule("decoder", new BartDecoder(config, Shared, generator));
    }

    /// <summary>The model's config.</summary>
    public BartConfig Config { get; }
    /// <summary>
    /// shared: the token embedding, vocab × d_model, read by both stacks and (tied) by the output layer.
    /// </summary>
    public Embedding Shared { get; }
    /// <summary>encoder: the encoder stack.</summary>
    public BartEncoder Encoder { get; }
    /// <summary>decoder: the decoder stack.</summary>
    public BartDecoder Decoder { get; }
}
