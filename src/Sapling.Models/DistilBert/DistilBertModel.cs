using Sapling.NN;

namespace Sapling.Models.DistilBert;

// DistilBERT (Sanh, Debut, Chaumond and Wolf, "DistilBERT, a distilled version of BERT", 2019): BERT halved in depth,
// without token types and without the pooler, in transformers' module names ("embeddings", "transformer.layer.N" with
// q_lin/k_lin/v_lin/out_lin, sa_layer_norm, ffn.lin1/lin2, output_layer_norm). Building blocks first, then the model and
// its task heads (DistilBertForSequenceClassification, DistilBertForTokenClassification) in their own files.

/// <summary>Word and position embeddings summed, layer norm, dropout: ids [B, T] → [B, T, dim].</summary>
public sealed class DistilBertEmbeddings : Module
{
    /// <summary>Creates the word and position tables, the layer norm (epsilon 1e-12) and the dropout.</summary>
    public DistilBertEmbeddings(DistilBertConfig config, Generator? generator)
    {
        WordEmbeddings = RegisterModule("word_embeddings", new Embedding(config.VocabSize, config.Dim, generator));
        PositionEmbeddings = RegisterModule("position_embeddings", new Embedding(config.MaxPositionEmbeddings, config.Dim, generator));
        LayerNorm = RegisterModule("LayerNorm", new LayerNorm(config.Dim, 1e-12f));
        Dropout = RegisterModule("dropout", new Dropout(config.Dropout));
    }

    /// <summary>word_embeddings: the token table, vocab × dim.</summary>
    public Embedding WordEmbeddings { get; }
    /// <summary>position_embeddings: the learned position table, max_position_embeddings × dim.</summary>
    public Embedding PositionEmbeddings { get; }
    /// <summary>LayerNorm: the norm over the summed embeddings.</summary>
    public LayerNorm LayerNorm { get; }
    /// <summary>Dropout after the norm (dropout).</summary>
    public Dropout Dropout { get; }

    /// <summary>Embeddings [B, T, dim] for ids [B, T], positions counted from 0.</summary>
    public Tensor Forward(Tensor ids)
    {
        var positions = Tensor.ArangeLong(ids.Shape[1]).Unsqueeze(0);                           // [1, T]
        return Dropout.Forward(LayerNorm.Forward(WordEmbeddings.Forward(ids).Add(PositionEmbeddings.Forward(positions))));
    }
}

/// <summary>Multi-head self-attention with its output projection (transformers' MultiHeadSelfAttention).</summary>
public sealed class MultiHeadSelfAttention : Module
{
    private readonly int heads, headDim;

    /// <summary>Creates the q, k, v and output projections (dim → dim, with biases) and the dropout.</summary>
    public MultiHeadSelfAttention(DistilBertConfig config, Generator? generator)
    {
        (heads, headDim) = (config.NHeads, config.HeadDim);
        QLin = RegisterModule("q_lin", new Linear(config.Dim, config.Dim, generator: generator));
        KLin = RegisterModule("k_lin", new Linear(config.Dim, config.Dim, generator: generator));
        VLin = RegisterModule("v_lin", new Linear(config.Dim, config.Dim, generator: generator));
        OutLin = RegisterModule("out_lin", new Linear(config.Dim, config.Dim, generator: generator));
        Dropout = RegisterModule("dropout", new Dropout(config.AttentionDropout));
    }

    /// <summary>q_lin: the query projection, dim → dim.</summary>
    public Linear QLin { get; }
    /// <summary>k_lin: the key projection, dim → dim.</summary>
    public Linear KLin { get; }
    /// <summary>v_lin: the value projection, dim → dim.</summary>
    public Linear VLin { get; }
    /// <summary>out_lin: the output projection of the merged heads, dim → dim.</summary>
    public Linear OutLin { get; }
    /// <summary>Dropout on the attention probabilities (attention_dropout).</summary>
    public Dropout Dropout { get; }

    /// <param name="x">[B, T, dim]</param>
    /// <param name="maskBias">[B, 1, 1, T]: 0 for real keys, a large negative number at padding.</param>
    public Tensor Forward(Tensor x, Tensor? maskBias)
    {
        int b = x.Shape[0], t = x.Shape[1];
        Tensor Heads(Linear projection) => projection.Forward(x).Reshape(b, t, heads, headDim).Permute(0, 2, 1, 3);   // [B, heads, T, d]
        var scores = Heads(QLin).MatMul(Heads(KLin).Transpose(-1, -2)).Mul(1.0 / Math.Sqrt(headDim));             // [B, heads, T, T]
        if (maskBias != null) scores = scores.Add(maskBias);
        var context = Dropout.Forward(scores.Softmax(-1)).MatMul(Heads(VLin));                                      // [B, heads, T, d]
        return OutLin.Forward(context.Permute(0, 2, 1, 3).Reshape(b, t, heads * headDim));                         // [B, T, dim]
    }
}

/// <summary>lin1 → GELU → lin2 with dropout (transformers' FFN).</summary>
public sealed class FFN : Module
{
    /// <summary>Creates lin1, lin2 and the dropout.</summary>
    public FFN(DistilBertConfig config, Generator? generator)
    {
        Lin1 = RegisterModule("lin1", new Linear(config.Dim, config.HiddenDim, generator: generator));
        Lin2 = RegisterModule("lin2", new Linear(config.HiddenDim, config.Dim, generator: generator));
        Dropout = RegisterModule("dropout", new Dropout(config.Dropout));
    }

    /// <summary>lin1: the widening projection, dim → hidden_dim.</summary>
    public Linear Lin1 { get; }
    /// <summary>lin2: the projection back, hidden_dim → dim.</summary>
    public Linear Lin2 { get; }
    /// <summary>Dropout on the output (dropout).</summary>
    public Dropout Dropout { get; }

    /// <summary>dropout(lin2(gelu(lin1(x)))): [B, T, dim] → [B, T, dim].</summary>
    public Tensor Forward(Tensor x) => Dropout.Forward(Lin2.Forward(Lin1.Forward(x).Gelu()));
}

/// <summary>One post-norm layer: attention + residual + sa_layer_norm, feed-forward + residual + output_layer_norm.</summary>
public sealed class TransformerBlock : Module
{
    /// <summary>Creates the block's attention, feed-forward and two layer norms (epsilon 1e-12).</summary>
    public TransformerBlock(DistilBertConfig config, Generator? generator)
    {
        Attention = RegisterModule("attention", new MultiHeadSelfAttention(config, generator));
        SaLayerNorm = RegisterModule("sa_layer_norm", new LayerNorm(config.Dim, 1e-12f));
        Ffn = RegisterModule("ffn", new FFN(config, generator));
        OutputLayerNorm = RegisterModule("output_layer_norm", new LayerNorm(config.Dim, 1e-12f));
    }

    /// <summary>attention: the multi-head self-attention.</summary>
    public MultiHeadSelfAttention Attention { get; }
    /// <summary>sa_layer_norm: the norm after the attention's residual add.</summary>
    public LayerNorm SaLayerNorm { get; }
    /// <summary>ffn: the feed-forward network.</summary>
    public FFN Ffn { get; }
    /// <summary>output_layer_norm: the norm after the feed-forward's residual add.</summary>
    public LayerNorm OutputLayerNorm { get; }

    /// <summary>
    /// The block for x [B, T, dim]: [B, T, dim]. <paramref name="maskBias"/> [B, 1, 1, T] is added to the attention
    /// scores (a large negative number at padding); null: no padding.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor? maskBias)
    {
        var sa = SaLayerNorm.Forward(Attention.Forward(x, maskBias).Add(x));     // [B, T, dim]
        return OutputLayerNorm.Forward(Ffn.Forward(sa).Add(sa));                 // [B, T, dim]
    }
}

/// <summary>The layers in order (transformers' Transformer, whose list is named "layer").</summary>
public sealed class Transformer : Module
{
    private readonly TransformerBlock[] layers;

    /// <summary>Creates n_layers blocks.</summary>
    public Transformer(DistilBertConfig config, Generator? generator)
    {
        var list = RegisterModule("layer", new ModuleList<TransformerBlock>());
        layers = new TransformerBlock[config.NLayers];
        for (int i = 0; i < layers.Length; i++) layers[i] = list.Add(new TransformerBlock(config, generator));
    }

    /// <summary>layer: the blocks in order.</summary>
    public IReadOnlyList<TransformerBlock> Layers => layers;

    /// <summary>Recompute each layer's activations in backward instead of keeping them (transformers'
    /// gradient_checkpointing_enable); applies while training.</summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>
    /// The blocks in turn over x [B, T, dim]: [B, T, dim]; <paramref name="maskBias"/> [B, 1, 1, T] masks padded keys
    /// (null: none).
    /// </summary>
    public Tensor Forward(Tensor x, Tensor? maskBias)
    {
        bool recompute = GradientCheckpointing && Training;
        foreach (var layer in layers) x = RunLayer(layer, x, recompute, h => layer.Forward(h, maskBias));
        return x;
    }
}

/// <summary>The DistilBERT encoder: ids [B, T] and an attention mask → last hidden states [B, T, dim].</summary>
public sealed class DistilBertModel : Module, ITextEncoder
{
    /// <summary>
    /// Creates an encoder for <paramref name="config"/> (validated first), initialised as transformers does.
    /// </summary>
    public DistilBertModel(DistilBertConfig config, Generator? generator = null)
    {
        config.Validate("DistilBERT config");
        Config = config;
        Embeddings = RegisterModule("embeddings", new DistilBertEmbeddings(config, generator));
        Transformer = RegisterModule("transformer", new Transformer(config, generator));
        Init.LikeTransformers(this, 0.02f, generator);
    }

    /// <summary>The encoder's config.</summary>
    public DistilBertConfig Config { get; }
    /// <summary>embeddings: word and position embeddings with their norm.</summary>
    public DistilBertEmbeddings Embeddings { get; }
    /// <summary>transformer: the transformer blocks.</summary>
    public Transformer Transformer { get; }

    /// <summary>
    /// Last hidden states [B, T, dim] for ids [B, T] (int64) and an attention mask [B, T] (1 real, 0 padding; null: no
    /// padding). More tokens than max_position_embeddings are refused.
    /// </summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null)
    {
        if (inputIds.Rank != 2) throw new ArgumentException($"DistilBERT: input_ids must be [batch, sequence], got shape {ShapeUtil.Format(inputIds.Shape.ToArray())}");
        int b = inputIds.Shape[0], t = inputIds.Shape[1];
        if (t > Config.MaxPositionEmbeddings) throw new ArgumentException($"DistilBERT: {t} tokens exceed max_position_embeddings {Config.MaxPositionEmbeddings}");
        if (attentionMask != null && (attentionMask.Rank != 2 || attentionMask.Shape[0] != b || attentionMask.Shape[1] != t))
            throw new ArgumentException($"DistilBERT: attention_mask must be [batch, sequence] like input_ids {ShapeUtil.Format(inputIds.Shape.ToArray())}, got {ShapeUtil.Format(attentionMask.Shape.ToArray())}");
        var maskBias = attentionMask?.To(DType.Float32).Sub(1f).Mul(1e9f).Reshape(b, 1, 1, t);     // [B, 1, 1, T]
        return Transformer.Forward(Embeddings.Forward(inputIds), maskBias);                       // [B, T, dim]
    }

    /// <inheritdoc/>
    public string ModelType => DistilBertConfig.Type;
    /// <inheritdoc/>
    public int HiddenSize => Config.Dim;
    /// <inheritdoc/>
    public int MaxTokens => Config.MaxPositionEmbeddings;
    /// <inheritdoc/>
    public Tensor Encode(Tensor inputIds, Tensor attentionMask) => Forward(inputIds, attentionMask);
}
