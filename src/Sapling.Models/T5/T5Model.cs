using Sapling.NN;

namespace Sapling.Models.T5;

// T5 (Raffel et al., "Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer", 2020) with
// Hugging Face's module names, so its checkpoints load unchanged. It differs from the Transformer of Vaswani et al. in
// four places: no position embeddings but a learned scalar per head for each bucket of relative distance, added to the
// attention scores (held by the first block of each stack, reused by the rest); unscaled dot products (the scale is
// folded into the initialisation); pre-norm sub-layers with an RMS norm that has no mean and no bias; and a feed-forward
// that may be gated (T5 v1.1). The building blocks first, then the stacks.

/// <summary>
/// Multi-head attention without biases or a 1/√d scale (Hugging Face's T5Attention): self-attention over the stack's
/// own positions or cross-attention over the encoder's states; the first self-attention of a stack owns the
/// relative-position bias table [buckets, heads].
/// </summary>
public sealed class T5Attention : Module
{
    private readonly T5Config config;
    private readonly bool bidirectional;

    /// <summary>
    /// Creates the bias-free q, k, v and o projections; <paramref name="hasRelativeAttentionBias"/> gives this
    /// attention the stack's relative-position table, and <paramref name="bidirectional"/> says whether its buckets
    /// look both ways (the encoder) or only back (the decoder).
    /// </summary>
    public T5Attention(T5Config config, bool hasRelativeAttentionBias, bool bidirectional, Generator? generator)
    {
        this.config = config;
        this.bidirectional = bidirectional;
        Q = RegisterModule("q", new Linear(config.DModel, config.InnerDim, bias: false, generator));
        K = RegisterModule("k", new Linear(config.DModel, config.InnerDim, bias: false, generator));
        V = RegisterModule("v", new Linear(config.DModel, config.InnerDim, bias: false, generator));
        O = RegisterModule("o", new Linear(config.InnerDim, config.DModel, bias: false, generator));
        if (hasRelativeAttentionBias) RelativeAttentionBias = RegisterModule("relative_attention_bias", new Embedding(config.RelativeAttentionNumBuckets, config.NumHeads, generator));
        Dropout = RegisterModule("dropout", new Dropout(config.DropoutRate));
    }

    /// <summary>q: the query projection, d_model → num_heads × d_kv.</summary>
    public Linear Q { get; }
    /// <summary>k: the key projection, d_model → num_heads × d_kv.</summary>
    public Linear K { get; }
    /// <summary>v: the value projection, d_model → num_heads × d_kv.</summary>
    public Linear V { get; }
    /// <summary>o: the output projection, num_heads × d_kv → d_model.</summary>
    public Linear O { get; }
    /// <summary>
    /// relative_attention_bias: one learned bias per bucket and head [buckets, heads]; only in a stack's first
    /// self-attention, null elsewhere.
    /// </summary>
    public Embedding? RelativeAttentionBias { get; }
    /// <summary>Dropout on the attention weights (dropout_rate).</summary>
    public Dropout Dropout { get; }

    /// <summary>
    /// The bucket of a key <paramref name="relative"/> positions after the query (negative: before). Distances below
    /// half the buckets get one bucket each; longer ones share logarithmically wider buckets up to max_distance. The
    /// encoder's buckets are split between the two directions; the decoder's see only the past. The logarithm runs in
    /// float32 and is truncated, as the reference computes it, so long distances land in the same bucket.
    /// </summary>
    public static int RelativePositionBucket(int relative, bool bidirectional, int numBuckets, int maxDistance)
    {
        int bucket = 0;
        if (bidirectional)
        {
            numBuckets /= 2;
            if (relative > 0) bucket += numBuckets;
            relative = Math.Abs(relative);
        }
        else
        {
            relative = -Math.Min(relative, 0);
        }
        int exact = numBuckets / 2;
        if (relative < exact) return bucket + relative;
        float large = MathF.Log(relative / (float)exact) / (float)Math.Log(maxDistance / (double)exact) * (numBuckets - exact);
        return bucket + Math.Min(exact + (int)large, numBuckets - 1);
    }

    /// <summary>The relative-position bias [1, heads, T, S] of queries at positions start .. start + T − 1 over keys 0 .. S − 1.</summary>
    public Tensor PositionBias(int queryStart, int t, int s)
    {
        var table = RelativeAttentionBias ?? throw new InvalidOperationException("T5Attention: only a stack's first self-attention holds the relative-position bias");
        var buckets = new long[t * s];
        for (int i = 0; i < t; i++)
            for (int j = 0; j < s; j++)
                buckets[i * s + j] = RelativePositionBucket(j - (queryStart + i), bidirectional, config.RelativeAttentionNumBuckets, config.RelativeAttentionMaxDistance);
        return table.Forward(Tensor.FromArray(buckets, t, s))                         // [T, S, heads]
            .Permute(2, 0, 1).Unsqueeze(0);                                            // [1, heads, T, S]
    }

    /// <summary>[B, T, d_model] → [B, heads, T, d_kv]</summary>
    private Tensor Heads(Linear projection, Tensor x) =>
        projection.Forward(x).Reshape(x.Shape[0], x.Shape[1], config.NumHeads, config.DKv).Permute(0, 2, 1, 3);

    /// <summary>
    /// Self-attention of x [B, T, d] with the stack's <paramref name="bias"/> (position bias plus the padding or causal
    /// mask). With a cache, x holds the positions after those cached and its keys and values join them.
    /// </summary>
    public Tensor SelfAttention(Tensor x, Tensor bias, KvCache? cache, int layer)
    {
        var q = Heads(Q, x);
        var k = Heads(K, x);
        var v = Heads(V, x);
        if (cache != null) (k, v) = cache.Append(layer, k, v);                         // [B, heads, past + T, d_kv]
        return Attend(q, k, v, bias, x.Shape[0], x.Shape[1]);
    }

    /// <summary>Cross-attention of x [B, T, d] over the encoder's states [B, S, d]; <paramref name="bias"/> masks the source's padding.</summary>
    public Tensor CrossAttention(Tensor x, Tensor encoderStates, Tensor? bias, EncoderDecoderCache? cache, int layer)
    {
        var (k, v) = cache?.CrossAttention(layer, () => (Heads(K, encoderStates), Heads(V, encoderStates)))
            ?? (Heads(K, encoderStates), Heads(V, encoderStates));                    // [B, heads, S, d_kv]
        return Attend(Heads(Q, x), k, v, bias, x.Shape[0], x.Shape[1]);
    }

    private Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor? bias, int b, int t)
    {
        var scores = q.MatMul(k.Transpose(-1, -2));                                    // [B, heads, T, S], no 1/√d
        if (bias != null) scores = scores.Add(bias);
        var context = Dropout.Forward(scores.Softmax(-1)).MatMul(v);                   // [B, heads, T, d_kv]
        return O.Forward(context.Permute(0, 2, 1, 3).Reshape(b, t, config.InnerDim));
    }
}

/// <summary>wo(act(wi(x))), or wo(act(wi_0(x)) ⊙ wi_1(x)) when gated (Hugging Face's T5DenseActDense / T5DenseGatedActDense).</summary>
public sealed class T5DenseActDense : Module
{
    private readonly string activation;

    /// <summary>Creates wi (or wi_0 and wi_1 when feed_forward_proj is gated) and wo, all without biases.</summary>
    public T5DenseActDense(T5Config config, Generator? generator)
    {
        activation = config.DenseActFn;
        if (config.IsGatedAct)
        {
            Wi0 = RegisterModule("wi_0", new Linear(config.DModel, config.DFf, bias: false, generator));
            Wi1 = RegisterModule("wi_1", new Linear(config.DModel, config.DFf, bias: false, generator));
        }
        else
        {
            Wi = RegisterModule("wi", new Linear(config.DModel, config.DFf, bias: false, generator));
        }
        Wo = RegisterModule("wo", new Linear(config.DFf, config.DModel, bias: false, generator));
        Dropout = RegisterModule("dropout", new Dropout(config.DropoutRate));
    }

    /// <summary>wi: the input projection, d_model → d_ff; null when the feed-forward is gated.</summary>
    public Linear? Wi { get; }
    /// <summary>wi_0: the gated feed-forward's activated projection, d_model → d_ff; null when not gated.</summary>
    public Linear? Wi0 { get; }
    /// <summary>wi_1: the gated feed-forward's linear projection, d_model → d_ff; null when not gated.</summary>
    public Linear? Wi1 { get; }
    /// <summary>wo: the output projection, d_ff → d_model.</summary>
    public Linear Wo { get; }
    /// <summary>Dropout on the hidden layer, before wo (dropout_rate).</summary>
    public Dropout Dropout { get; }

    /// <summary>[B, T, d_model] → [B, T, d_ff] → [B, T, d_model]</summary>
    public Tensor Forward(Tensor x)
    {
        var h = Wi != null ? Activate(Wi.Forward(x)) : Activate(Wi0!.Forward(x)).Mul(Wi1!.Forward(x));
        return Wo.Forward(Dropout.Forward(h));
    }

    private Tensor Activate(Tensor h) => activation switch
    {
        "relu" => h.Relu(),
        "gelu" => h.Gelu(),
        "gelu_new" => h.Gelu(tanhApproximation: true),
        _ => h.Silu(),
    };
}

/// <summary>x + dropout(attention(norm(x))): the pre-norm self-attention sub-layer ("SelfAttention", "layer_norm").</summary>
public sealed class T5LayerSelfAttention : Module
{
    /// <summary>Creates the sub-layer; the flags are passed to its <see cref="T5Attention"/>.</summary>
    public T5LayerSelfAttention(T5Config config, bool hasRelativeAttentionBias, bool bidirectional, Generator? generator)
    {
        SelfAttention = RegisterModule("SelfAttention", new T5Attention(config, hasRelativeAttentionBias, bidirectional, generator));
        LayerNorm = RegisterModule("layer_norm", new RMSNorm(config.DModel, config.LayerNormEpsilon));
        Dropout = RegisterModule("dropout", new Dropout(config.DropoutRate));
    }

    /// <summary>SelfAttention: the attention itself.</summary>
    public T5Attention SelfAttention { get; }
    /// <summary>layer_norm: the RMS norm applied before the attention.</summary>
    public RMSNorm LayerNorm { get; }
    /// <summary>Dropout on the attention's output before the residual add (dropout_rate).</summary>
    public Dropout Dropout { get; }

    /// <summary>
    /// The sub-layer for x [B, T, d]: [B, T, d]. <paramref name="bias"/> is the stack's position bias plus mask;
    /// <paramref name="cache"/> and <paramref name="layer"/> say where keys and values are kept.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor bias, KvCache? cache, int layer) =>
        x.Add(Dropout.Forward(SelfAttention.SelfAttention(LayerNorm.Forward(x), bias, cache, layer)));
}

/// <summary>x + dropout(cross-attention(norm(x), encoder)): the decoder's second sub-layer ("EncDecAttention", "layer_norm").</summary>
public sealed class T5LayerCrossAttention : Module
{
    /// <summary>Creates the sub-layer, whose attention has no relative-position table.</summary>
    public T5LayerCrossAttention(T5Config config, Generator? generator)
    {
        EncDecAttention = RegisterModule("EncDecAttention", new T5Attention(config, false, true, generator));
        LayerNorm = RegisterModule("layer_norm", new RMSNorm(config.DModel, config.LayerNormEpsilon));
        Dropout = RegisterModule("dropout", new Dropout(config.DropoutRate));
    }

    /// <summary>EncDecAttention: the cross-attention over the encoder's states.</summary>
    public T5Attention EncDecAttention { get; }
    /// <summary>layer_norm: the RMS norm applied before the cross-attention.</summary>
    public RMSNorm LayerNorm { get; }
    /// <summary>Dropout on the cross-attention's output before the residual add (dropout_rate).</summary>
    public Dropout Dropout { get; }

    /// <summary>
    /// The sub-layer for x [B, T, d] over encoder states [B, S, d]: [B, T, d]. <paramref name="sourceBias"/> masks the
    /// source's padding; a cache keeps the encoder's projected keys and values.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor encoderStates, Tensor? sourceBias, EncoderDecoderCache? cache, int layer) =>
        x.Add(Dropout.Forward(EncDecAttention.CrossAttention(LayerNorm.Forward(x), encoderStates, sourceBias, cache, layer)));
}

/// <summary>x + dropout(feed-forward(norm(x))) ("DenseReluDense", "layer_norm").</summary>
public sealed class T5LayerFF : Module
{
    /// <summary>Creates the sub-layer's feed-forward, RMS norm and dropout.</summary>
    public T5LayerFF(T5Config config, Generator? generator)
    {
        DenseReluDense = RegisterModule("DenseReluDense", new T5DenseActDense(config, generator));
        LayerNorm = RegisterModule("layer_norm", new RMSNorm(config.DModel, config.LayerNormEpsilon));
        Dropout = RegisterModule("dropout", new Dropout(config.DropoutRate));
    }

    /// <summary>DenseReluDense: the feed-forward network (gated or not, whatever its activation).</summary>
    public T5DenseActDense DenseReluDense { get; }
    /// <summary>layer_norm: the RMS norm applied before the feed-forward.</summary>
    public RMSNorm LayerNorm { get; }
    /// <summary>Dropout on the feed-forward's output before the residual add (dropout_rate).</summary>
    public Dropout Dropout { get; }

    /// <summary>The sub-layer for x [B, T, d]: [B, T, d].</summary>
    public Tensor Forward(Tensor x) => x.Add(Dropout.Forward(DenseReluDense.Forward(LayerNorm.Forward(x))));
}

/// <summary>One block: its sub-layers in the list "layer" (self-attention, [cross-attention,] feed-forward).</summary>
public sealed class T5Block : Module
{
    /// <summary>
    /// Creates the block's sub-layers; <paramref name="hasRelativeAttentionBias"/> is true for a stack's first block,
    /// and <paramref name="isDecoder"/> adds the cross-attention and makes the self-attention causal.
    /// </summary>
    public T5Block(T5Config config, bool hasRelativeAttentionBias, bool isDecoder, Generator? generator)
    {
        var layer = RegisterModule("layer", new ModuleList<Module>());
        SelfAttention = (T5LayerSelfAttention)layer.Add(new T5LayerSelfAttention(config, hasRelativeAttentionBias, bidirectional: !isDecoder, generator));
        if (isDecoder) CrossAttention = (T5LayerCrossAttention)layer.Add(new T5LayerCrossAttention(config, generator));
        FeedForward = (T5LayerFF)layer.Add(new T5LayerFF(config, generator));
    }

    /// <summary>layer.0: the self-attention sub-layer.</summary>
    public T5LayerSelfAttention SelfAttention { get; }
    /// <summary>layer.1 in the decoder: the cross-attention sub-layer; null in the encoder.</summary>
    public T5LayerCrossAttention? CrossAttention { get; }
    /// <summary>
    /// The last of "layer" (layer.1 in the encoder, layer.2 in the decoder): the feed-forward sub-layer.
    /// </summary>
    public T5LayerFF FeedForward { get; }

    /// <summary>x [B, T, d] → [B, T, d]; the decoder's blocks also read the encoder's states.</summary>
    public Tensor Forward(Tensor x, Tensor selfBias, Tensor? encoderStates, Tensor? sourceBias, EncoderDecoderCache? cache, int layer)
    {
        x = SelfAttention.Forward(x, selfBias, cache?.Self, layer);
        if (CrossAttention != null) x = CrossAttention.Forward(x, encoderStates!, sourceBias, cache, layer);
        return FeedForward.Forward(x);
    }
}

/// <summary>
/// A stack of blocks (the encoder or the decoder, Hugging Face's T5Stack): embeddings, blocks, final RMS norm. The
/// first block's relative-position bias, with the padding or causal mask added, is computed once per pass and read by
/// every block.
/// </summary>
public sealed class T5Stack : Module
{
    private readonly T5Config config;
    private readonly Embedding tokens;
    private readonly ModuleList<T5Block> blocks;

    /// <summary>
    /// Creates the encoder (num_layers blocks) or, with <paramref name="isDecoder"/>, the decoder (num_decoder_layers);
    /// <paramref name="shared"/> is the token embedding, owned by the model and not registered here.
    /// </summary>
    public T5Stack(T5Config config, Embedding shared, bool isDecoder, Generator? generator)
    {
        this.config = config;
        tokens = shared;
        IsDecoder = isDecoder;
        blocks = RegisterModule("block", new ModuleList<T5Block>());
        int count = isDecoder ? config.NumDecoderLayers : config.NumLayers;
        for (int i = 0; i < count; i++) blocks.Add(new T5Block(config, hasRelativeAttentionBias: i == 0, isDecoder, generator));
        FinalLayerNorm = RegisterModule("final_layer_norm", new RMSNorm(config.DModel, config.LayerNormEpsilon));
        Dropout = RegisterModule("dropout", new Dropout(config.DropoutRate));
    }

    /// <summary>The model's config.</summary>
    public T5Config Config => config;
    /// <summary>Whether this is the decoder stack (causal, with cross-attention).</summary>
    public bool IsDecoder { get; }
    /// <summary>block: the stack's blocks in order.</summary>
    public IReadOnlyList<T5Block> Blocks => blocks;
    /// <summary>final_layer_norm: the RMS norm after the last block.</summary>
    public RMSNorm FinalLayerNorm { get; }
    /// <summary>Dropout on the embeddings and on the final output (dropout_rate).</summary>
    public Dropout Dropout { get; }

    /// <summary>Whether training recomputes each block in backward instead of keeping its activations.</summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>
    /// ids [B, T] → states [B, T, d]. The encoder masks <paramref name="ownMask"/>'s padding; the decoder is causal, reads
    /// <paramref name="encoderStates"/> with <paramref name="sourceMask"/>, and with a cache continues what it holds.
    /// </summary>
    public Tensor Forward(Tensor ids, PaddingMask? ownMask, Tensor? encoderStates = null, PaddingMask? sourceMask = null, EncoderDecoderCache? cache = null)
    {
        int t = ids.Shape[1], past = cache?.Length ?? 0;
        var bias = blocks[0].SelfAttention.SelfAttention.PositionBias(past, t, past + t);       // [1, heads, T, past + T]
        if (IsDecoder && t > 1) bias = bias.Add(CausalMask(past, t));
        if (ownMask != null) bias = bias.Add(ownMask.Bias);                                    // + [B, 1, 1, S]
        var sourceBias = sourceMask?.Bias;
        var x = Dropout.Forward(tokens.Forward(ids));                                          // [B, T, d]
        bool recompute = GradientCheckpointing && Training && cache == null;
        for (int i = 0; i < blocks.Count; i++)
        {
            var block = blocks[i];
            int index = i;
            x = RunLayer(block, x, recompute, h => block.Forward(h, bias, encoderStates, sourceBias, cache, index));
        }
        return Dropout.Forward(FinalLayerNorm.Forward(x));
    }

    /// <summary>[1, 1, T, past + T]: 0 where query i (at past + i) may see key j ≤ past + i, a large negative number after.</summary>
    private static Tensor CausalMask(int past, int t)
    {
        int s = past + t;
        var mask = new float[t * s];
        for (int i = 0; i < t; i++)
            for (int j = past + i + 1; j < s; j++) mask[i * s + j] = -1e9f;
        return Tensor.FromArray(mask, 1, 1, t, s);
    }
}
