using Sapling.NN;

namespace Sapling.Models.Bert;

// BERT (Devlin, Chang, Lee and Toutanova, "BERT: Pre-training of Deep Bidirectional Transformers for Language
// Understanding", 2019) with Hugging Face's module names, so a BertModel checkpoint's safetensors load unchanged. The
// building blocks first, then the model: embeddings (word + position + token type, layer norm), a stack of post-norm
// transformer layers with bidirectional self-attention over the unpadded positions, and a tanh pooler over [CLS].

/// <summary>Word, position and token-type embeddings summed, then layer norm: ids [B, T] → [B, T, H].</summary>
public sealed class BertEmbeddings : Module
{
    private readonly BertConfig config;

    /// <summary>Creates the three embedding tables, the layer norm and the dropout.</summary>
    public BertEmbeddings(BertConfig config, Generator? generator)
    {
        this.config = config;
        WordEmbeddings = RegisterModule("word_embeddings", new Embedding(config.VocabSize, config.HiddenSize, generator));
        PositionEmbeddings = RegisterModule("position_embeddings", new Embedding(config.MaxPositionEmbeddings, config.HiddenSize, generator));
        TokenTypeEmbeddings = RegisterModule("token_type_embeddings", new Embedding(config.TypeVocabSize, config.HiddenSize, generator));
        LayerNorm = RegisterModule("LayerNorm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
        Dropout = RegisterModule("dropout", new Dropout(config.HiddenDropoutProb));
    }

    /// <summary>word_embeddings: the token table, vocab × hidden.</summary>
    public Embedding WordEmbeddings { get; }
    /// <summary>position_embeddings: the learned position table, max_position_embeddings × hidden.</summary>
    public Embedding PositionEmbeddings { get; }
    /// <summary>token_type_embeddings: the segment table (sentence A or B), type_vocab_size × hidden.</summary>
    public Embedding TokenTypeEmbeddings { get; }
    /// <summary>LayerNorm: the norm over the summed embeddings.</summary>
    public LayerNorm LayerNorm { get; }
    /// <summary>Dropout after the norm (hidden_dropout_prob).</summary>
    public Dropout Dropout { get; }

    /// <summary>
    /// Embeddings [B, T, H] for ids [B, T] and token types [B, T]; positions count from 0, or for RoBERTa from the pad
    /// id over each row's real tokens.
    /// </summary>
    public Tensor Forward(Tensor ids, Tensor tokenTypeIds)
    {
        int t = ids.Shape[1];
        var positions = config.PositionsFromPadding ? RobertaPositions(ids) : Tensor.ArangeLong(t).Unsqueeze(0);   // [1 or B, T]
        var x = WordEmbeddings.Forward(ids)                                       // [B, T, H]
            .Add(PositionEmbeddings.Forward(positions))                           // + [1, T, H]
            .Add(TokenTypeEmbeddings.Forward(tokenTypeIds));                      // + [B, T, H]
        return Dropout.Forward(LayerNorm.Forward(x));
    }

    /// <summary>RoBERTa's position ids: pad + 1, pad + 2, … over the real tokens of each row, pad at padding.</summary>
    private Tensor RobertaPositions(Tensor ids)
    {
        int b = ids.Shape[0], t = ids.Shape[1], pad = config.PadTokenId;
        var source = ids.Contiguous().ToArray<long>();
        var positions = new long[b * t];
        for (int r = 0; r < b; r++)
        {
            int seen = 0;
            for (int i = 0; i < t; i++) positions[r * t + i] = source[r * t + i] == pad ? pad : pad + ++seen;
        }
        return Tensor.FromArray(positions, b, t);
    }
}

/// <summary>Multi-head scaled dot-product attention over all unmasked positions (query, key, value projections).</summary>
public sealed class BertSelfAttention : Module
{
    private readonly int heads, headDim;

    /// <summary>Creates the query, key and value projections (hidden → hidden, with biases) and the dropout.</summary>
    public BertSelfAttention(BertConfig config, Generator? generator)
    {
        (heads, headDim) = (config.NumAttentionHeads, config.HeadDim);
        Query = RegisterModule("query", new Linear(config.HiddenSize, config.HiddenSize, generator: generator));
        Key = RegisterModule("key", new Linear(config.HiddenSize, config.HiddenSize, generator: generator));
        Value = RegisterModule("value", new Linear(config.HiddenSize, config.HiddenSize, generator: generator));
        Dropout = RegisterModule("dropout", new Dropout(config.AttentionProbsDropoutProb));
    }

    /// <summary>query: the query projection, hidden → hidden.</summary>
    public Linear Query { get; }
    /// <summary>key: the key projection, hidden → hidden.</summary>
    public Linear Key { get; }
    /// <summary>value: the value projection, hidden → hidden.</summary>
    public Linear Value { get; }
    /// <summary>Dropout on the attention probabilities (attention_probs_dropout_prob).</summary>
    public Dropout Dropout { get; }

    /// <param name="x">[B, T, H]</param>
    /// <param name="mask">The batch's padding; null: every position is real.</param>
    public Tensor Forward(Tensor x, PaddingMask? mask)
    {
        int b = x.Shape[0], t = x.Shape[1];
        Tensor Heads(Linear projection) => projection.Forward(x).Reshape(b, t, heads, headDim).Permute(0, 2, 1, 3);   // [B, heads, T, d]
        var q = Heads(Query);
        var k = Heads(Key);
        var v = Heads(Value);
        Tensor context;                                                                                                 // [B, heads, T, d]
        if ((mask == null || mask.KeyLengths != null) && (!Dropout.Training || Dropout.P == 0))
        {
            // Right padding and no dropout on the probabilities (inference): the fused kernel skips padded keys.
            context = Tensor.ScaledDotProductAttention(q, k, v, mask?.KeyLengths, 1.0 / Math.Sqrt(headDim));
        }
        else
        {
            var scores = q.MatMul(k.Transpose(-1, -2)).Mul(1.0 / Math.Sqrt(headDim));                                  // [B, heads, T, T]
            if (mask != null) scores = scores.Add(mask.Bias);
            context = Dropout.Forward(scores.Softmax(-1)).MatMul(v);
        }
        return context.Permute(0, 2, 1, 3).Reshape(b, t, heads * headDim);                                             // [B, T, H]
    }
}

/// <summary>A projection of a sub-layer's output, added to the sub-layer's input and layer-normed (post-norm).</summary>
public sealed class BertResidualOutput : Module
{
    /// <summary>
    /// Creates the projection from <paramref name="inFeatures"/> to hidden, its layer norm and dropout.
    /// </summary>
    public BertResidualOutput(int inFeatures, BertConfig config, Generator? generator)
    {
        Dense = RegisterModule("dense", new Linear(inFeatures, config.HiddenSize, generator: generator));
        LayerNorm = RegisterModule("LayerNorm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
        Dropout = RegisterModule("dropout", new Dropout(config.HiddenDropoutProb));
    }

    /// <summary>dense: the projection back to hidden.</summary>
    public Linear Dense { get; }
    /// <summary>LayerNorm: the norm after the residual add.</summary>
    public LayerNorm LayerNorm { get; }
    /// <summary>Dropout on the projection before the residual add (hidden_dropout_prob).</summary>
    public Dropout Dropout { get; }

    /// <summary>
    /// norm(dropout(dense(<paramref name="hidden"/>)) + <paramref name="residual"/>): [B, T, H] for the sub-layer's
    /// output and its input [B, T, H].
    /// </summary>
    public Tensor Forward(Tensor hidden, Tensor residual) => LayerNorm.Forward(Dropout.Forward(Dense.Forward(hidden)).Add(residual));
}

/// <summary>Self-attention and its residual output (Hugging Face's BertAttention: "self" and "output").</summary>
public sealed class BertAttention : Module
{
    /// <summary>Creates the self-attention and its output sub-layer.</summary>
    public BertAttention(BertConfig config, Generator? generator)
    {
        Self = RegisterModule("self", new BertSelfAttention(config, generator));
        Output = RegisterModule("output", new BertResidualOutput(config.HiddenSize, config, generator));
    }

    /// <summary>self: the multi-head self-attention.</summary>
    public BertSelfAttention Self { get; }
    /// <summary>output: the projection, residual add and layer norm after it.</summary>
    public BertResidualOutput Output { get; }

    /// <summary>
    /// The attention sub-layer for x [B, T, H]: [B, T, H]; padded keys in <paramref name="mask"/> are not seen.
    /// </summary>
    public Tensor Forward(Tensor x, PaddingMask? mask) => Output.Forward(Self.Forward(x, mask), x);
}

/// <summary>The feed-forward's widening projection with GELU (Hugging Face's BertIntermediate).</summary>
public sealed class BertIntermediate : Module
{
    /// <summary>Creates the hidden → intermediate projection.</summary>
    public BertIntermediate(BertConfig config, Generator? generator) =>
        Dense = RegisterModule("dense", new Linear(config.HiddenSize, config.IntermediateSize, generator: generator));

    /// <summary>dense: the widening projection, hidden → intermediate.</summary>
    public Linear Dense { get; }

    /// <summary>gelu(dense(x)) (the exact, erf form): [B, T, H] → [B, T, intermediate].</summary>
    public Tensor Forward(Tensor x) => Dense.Forward(x).Gelu();
}

/// <summary>One transformer layer: attention, then the feed-forward, each with its residual and layer norm.</summary>
public sealed class BertLayer : Module
{
    /// <summary>Creates the layer's attention, intermediate and output sub-modules.</summary>
    public BertLayer(BertConfig config, Generator? generator)
    {
        Attention = RegisterModule("attention", new BertAttention(config, generator));
        Intermediate = RegisterModule("intermediate", new BertIntermediate(config, generator));
        Output = RegisterModule("output", new BertResidualOutput(config.IntermediateSize, config, generator));
    }

    /// <summary>attention: the self-attention sub-layer.</summary>
    public BertAttention Attention { get; }
    /// <summary>intermediate: the feed-forward's widening projection with GELU.</summary>
    public BertIntermediate Intermediate { get; }
    /// <summary>output: the feed-forward's projection back to hidden, residual add and layer norm.</summary>
    public BertResidualOutput Output { get; }

    /// <summary>The layer for x [B, T, H]: [B, T, H]; padded keys in <paramref name="mask"/> are not seen.</summary>
    public Tensor Forward(Tensor x, PaddingMask? mask)
    {
        var h = Attention.Forward(x, mask);                   // [B, T, H]
        return Output.Forward(Intermediate.Forward(h), h);    // [B, T, H]
    }
}

/// <summary>The layers in order (Hugging Face's BertEncoder, whose list is named "layer").</summary>
public sealed class BertEncoder : Module
{
    private readonly BertLayer[] layers;

    /// <summary>Creates num_hidden_layers layers.</summary>
    public BertEncoder(BertConfig config, Generator? generator)
    {
        var list = RegisterModule("layer", new ModuleList<BertLayer>());
        layers = new BertLayer[config.NumHiddenLayers];
        for (int i = 0; i < layers.Length; i++) layers[i] = list.Add(new BertLayer(config, generator));
    }

    /// <summary>layer: the layers in order.</summary>
    public IReadOnlyList<BertLayer> Layers => layers;

    /// <summary>Recompute each layer's activations in backward instead of keeping them (transformers'
    /// gradient_checkpointing_enable); applies while training.</summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>
    /// The layers in turn over x [B, T, H]: [B, T, H]; padded keys in <paramref name="mask"/> are not seen.
    /// </summary>
    public Tensor Forward(Tensor x, PaddingMask? mask)
    {
        bool recompute = GradientCheckpointing && Training;
        foreach (var layer in layers) x = RunLayer(layer, x, recompute, h => layer.Forward(h, mask));
        return x;
    }

}

/// <summary>tanh(W·h[CLS] + b): the sentence vector next-sentence prediction was trained on.</summary>
public sealed class BertPooler : Module
{
    /// <summary>Creates the pooler's hidden → hidden projection.</summary>
    public BertPooler(BertConfig config, Generator? generator) =>
        Dense = RegisterModule("dense", new Linear(config.HiddenSize, config.HiddenSize, generator: generator));

    /// <summary>dense: the projection of the [CLS] state, hidden → hidden.</summary>
    public Linear Dense { get; }

    /// <summary>[B, T, H] → [B, H]</summary>
    public Tensor Forward(Tensor hidden) => Dense.Forward(hidden.Select(1, 0)).Tanh();
}

/// <summary>
/// The BERT encoder: ids [B, T] (with an attention mask for padded batches and token types for sentence pairs) →
/// last hidden states [B, T, H] and the pooled [CLS] vector [B, H].
/// </summary>
public sealed class BertModel : Module, ITextEncoder
{
    /// <summary>
    /// Creates an encoder for <paramref name="config"/> (validated first), initialised as transformers does; the pooler
    /// only when add_pooling_layer is set.
    /// </summary>
    public BertModel(BertConfig config, Generator? generator = null)
    {
        config.Validate("BERT config");
        Config = config;
        Embeddings = RegisterModule("embeddings", new BertEmbeddings(config, generator));
        Encoder = RegisterModule("encoder", new BertEncoder(config, generator));
        if (config.AddPoolingLayer) Pooler = RegisterModule("pooler", new BertPooler(config, generator));
        // Hugging Face's initialisation: normal(0, 0.02) weights and tables, zero biases, layer norms at 1 and 0.
        Init.LikeTransformers(this, 0.02f, generator);
    }

    /// <summary>The encoder's config.</summary>
    public BertConfig Config { get; }
    /// <summary>embeddings: word, position and token-type embeddings with their norm.</summary>
    public BertEmbeddings Embeddings { get; }
    /// <summary>encoder: the transformer layers.</summary>
    public BertEncoder Encoder { get; }
    /// <summary>pooler: the tanh projection of the [CLS] state; null when the checkpoint has none.</summary>
    public BertPooler? Pooler { get; }

    /// <param name="inputIds">int64 [B, T]</param>
    /// <param name="attentionMask">[B, T], 1 for real tokens and 0 for padding; null: every position is real.</param>
    /// <param name="tokenTypeIds">int64 [B, T]; null: all 0 (one sentence).</param>
    public (Tensor LastHiddenState, Tensor? PoolerOutput) Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null)
    {
        if (inputIds.Rank != 2) throw new ArgumentException($"BERT: input_ids must be [batch, sequence], got shape {ShapeUtil.Format(inputIds.Shape.ToArray())}");
        int b = inputIds.Shape[0], t = inputIds.Shape[1];
        if (t > Config.MaxTokens) throw new ArgumentException($"BERT: {t} tokens exceed the {Config.MaxTokens} positions of max_position_embeddings {Config.MaxPositionEmbeddings}");
        foreach (var (other, name) in new[] { (attentionMask, "attention_mask"), (tokenTypeIds, "token_type_ids") })
            if (other != null && !other.Shape.SequenceEqual(inputIds.Shape))
                throw new ArgumentException($"BERT: {name} has shape {ShapeUtil.Format(other.Shape.ToArray())}, input_ids {ShapeUtil.Format(inputIds.Shape.ToArray())}");
        var types = tokenTypeIds ?? Tensor.Zeros([b, t], DType.Int64);
        // No real token attends to padding.
        var hidden = Encoder.Forward(Embeddings.Forward(inputIds, types), PaddingMask.From(attentionMask));    // [B, T, H]
        return (hidden, Pooler?.Forward(hidden));
    }

    /// <inheritdoc/>
    public string ModelType => Config.ModelType;
    /// <inheritdoc/>
    public int HiddenSize => Config.HiddenSize;
    /// <inheritdoc/>
    public int MaxTokens => Config.MaxTokens;
    /// <inheritdoc/>
    public Tensor Encode(Tensor inputIds, Tensor attentionMask) => Forward(inputIds, attentionMask).LastHiddenState;

    /// <summary>
    /// This encoder with a newly initialised pooler (what transformers does when a classifier is put on a checkpoint
    /// saved without one, such as BertForMaskedLM's); the encoder itself when it has a pooler already.
    /// </summary>
    public BertModel WithPooler(Generator? generator = null)
    {
        if (Pooler != null) return this;
        var pooled = new BertModel(Config with { AddPoolingLayer = true }, generator);
        var state = StateDict();
        foreach (var (name, value) in pooled.StateDict())
            if (name.StartsWith("pooler.", StringComparison.Ordinal)) state[name] = value;
        pooled.LoadStateDict(state);
        pooled.Eval();
        return pooled;
    }
}
