using Sapling.NN;

namespace Sapling.Models.DistilBert;

// DistilBERT (Sanh, Debut, Chaumond and Wolf, "DistilBERT, a distilled version of BERT", 2019): BERT halved in depth,
// without token types and without the pooler, in transformers' module names ("embeddings", "transformer.layer.N" with
// q_lin/k_lin/v_lin/out_lin, sa_layer_norm, ffn.lin1/lin2, output_layer_norm). Building blocks first, then the model and
// its task heads (DistilBertForSequenceClassification, DistilBertForTokenClassification) in their own files.

/// <summary>Word and position embeddings summed, layer norm, dropout: ids [B, T] → [B, T, dim].</summary>
public sealed class DistilBertEmbeddings : Module
{
    public DistilBertEmbeddings(DistilBertConfig config, Generator? generator)
    {
        WordEmbeddings = RegisterModule("word_embeddings", new Embedding(config.VocabSize, config.Dim, generator));
        PositionEmbeddings = RegisterModule("position_embeddings", new Embedding(config.MaxPositionEmbeddings, config.Dim, generator));
        LayerNorm = RegisterModule("LayerNorm", new LayerNorm(config.Dim, 1e-12f));
        Dropout = RegisterModule("dropout", new Dropout(config.Dropout));
    }

    public Embedding WordEmbeddings { get; }
    public Embedding PositionEmbeddings { get; }
    public LayerNorm LayerNorm { get; }
    public Dropout Dropout { get; }

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

    public MultiHeadSelfAttention(DistilBertConfig config, Generator? generator)
    {
        (heads, headDim) = (config.NHeads, config.HeadDim);
        QLin = RegisterModule("q_lin", new Linear(config.Dim, config.Dim, generator: generator));
        KLin = RegisterModule("k_lin", new Linear(config.Dim, config.Dim, generator: generator));
        VLin = RegisterModule("v_lin", new Linear(config.Dim, config.Dim, generator: generator));
        OutLin = RegisterModule("out_lin", new Linear(config.Dim, config.Dim, generator: generator));
        Dropout = RegisterModule("dropout", new Dropout(config.AttentionDropout));
    }

    public Linear QLin { get; }
    public Linear KLin { get; }
    public Linear VLin { get; }
    public Linear OutLin { get; }
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
    public FFN(DistilBertConfig config, Generator? generator)
    {
        Lin1 = RegisterModule("lin1", new Linear(config.Dim, config.HiddenDim, generator: generator));
        Lin2 = RegisterModule("lin2", new Linear(config.HiddenDim, config.Dim, generator: generator));
        Dropout = RegisterModule("dropout", new Dropout(config.Dropout));
    }

    public Linear Lin1 { get; }
    public Linear Lin2 { get; }
    public Dropout Dropout { get; }

    public Tensor Forward(Tensor x) => Dropout.Forward(Lin2.Forward(Lin1.Forward(x).Gelu()));
}

/// <summary>One post-norm layer: attention + residual + sa_layer_norm, feed-forward + residual + output_layer_norm.</summary>
public sealed class TransformerBlock : Module
{
    public TransformerBlock(DistilBertConfig config, Generator? generator)
    {
        Attention = RegisterModule("attention", new MultiHeadSelfAttention(config, generator));
        SaLayerNorm = RegisterModule("sa_layer_norm", new LayerNorm(config.Dim, 1e-12f));
        Ffn = RegisterModule("ffn", new FFN(config, generator));
        OutputLayerNorm = RegisterModule("output_layer_norm", new LayerNorm(config.Dim, 1e-12f));
    }

    public MultiHeadSelfAttention Attention { get; }
    public LayerNorm SaLayerNorm { get; }
    public FFN Ffn { get; }
    public LayerNorm OutputLayerNorm { get; }

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

    public Transformer(DistilBertConfig config, Generator? generator)
    {
        var list = RegisterModule("layer", new ModuleList<TransformerBlock>());
        layers = new TransformerBlock[config.NLayers];
        for (int i = 0; i < layers.Length; i++) layers[i] = list.Add(new TransformerBlock(config, generator));
    }

    public IReadOnlyList<TransformerBlock> Layers => layers;

    /// <summary>Recompute each layer's activations in backward instead of keeping them (transformers'
    /// gradient_checkpointing_enable); applies while training.</summary>
    public bool GradientCheckpointing { get; set; }

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
    public DistilBertModel(DistilBertConfig config, Generator? generator = null)
    {
        config.Validate("DistilBERT config");
        Config = config;
        Embeddings = RegisterModule("embeddings", new DistilBertEmbeddings(config, generator));
        Transformer = RegisterModule("transformer", new Transformer(config, generator));
        Init.LikeTransformers(this, 0.02f, generator);
    }

    public DistilBertConfig Config { get; }
    public DistilBertEmbeddings Embeddings { get; }
    public Transformer Transformer { get; }

    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null)
    {
        if (inputIds.Rank != 2) throw new ArgumentException($"DistilBERT: input_ids must be [batch, sequence], got shape {ShapeUtil.Format(inputIds.Shape.ToArray())}");
        int b = inputIds.Shape[0], t = inputIds.Shape[1];
        if (t > Config.MaxPositionEmbeddings) throw new ArgumentException($"DistilBERT: {t} tokens exceed max_position_embeddings {Config.MaxPositionEmbeddings}");
        var maskBias = attentionMask?.To(DType.Float32).Sub(1f).Mul(1e9f).Reshape(b, 1, 1, t);     // [B, 1, 1, T]
        return Transformer.Forward(Embeddings.Forward(inputIds), maskBias);                       // [B, T, dim]
    }

    public string ModelType => DistilBertConfig.Type;
    public int HiddenSize => Config.Dim;
    public int MaxTokens => Config.MaxPositionEmbeddings;
    public Tensor Encode(Tensor inputIds, Tensor attentionMask) => Forward(inputIds, attentionMask);
}
