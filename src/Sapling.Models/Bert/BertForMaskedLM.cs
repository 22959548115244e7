using Sapling.NN;

namespace Sapling.Models.Bert;

/// <summary>
/// The prediction head of masked-language-model pre-training (Hugging Face's BertOnlyMLMHead "cls.predictions"): a dense
/// layer with GELU and layer norm on each position's hidden state, then the word embeddings transposed (tied) plus a
/// bias per token: [B, T, H] → [B, T, vocab].
/// </summary>
public sealed class BertLMPredictionHead : Module
{
    private readonly Embedding wordEmbeddings;

    /// <summary>
    /// Creates the transform and a zero bias per token; <paramref name="wordEmbeddings"/> is the encoder's table, used
    /// as the (tied) output matrix and not registered here.
    /// </summary>
    public BertLMPredictionHead(BertConfig config, Embedding wordEmbeddings, Generator? generator)
    {
        this.wordEmbeddings = wordEmbeddings;
        Transform = RegisterModule("transform", new BertPredictionHeadTransform(config, generator));
        Bias = RegisterParameter("bias", Tensor.Zeros(config.VocabSize));
    }

    /// <summary>transform: dense → GELU → LayerNorm on each position's state.</summary>
    public BertPredictionHeadTransform Transform { get; }
    /// <summary>bias: one learned logit offset per token [vocab].</summary>
    public Tensor Bias { get; }

    /// <summary>Token logits [B, T, vocab] for hidden states [B, T, H].</summary>
    public Tensor Forward(Tensor hidden) => Tensor.Linear(Transform.Forward(hidden), wordEmbeddings.Weight, Bias);
}

/// <summary>dense → GELU → LayerNorm, before the tied decoder (Hugging Face's BertPredictionHeadTransform).</summary>
public sealed class BertPredictionHeadTransform : Module
{
    /// <summary>Creates the dense layer (initialised N(0, 0.02), zero bias) and the layer norm.</summary>
    public BertPredictionHeadTransform(BertConfig config, Generator? generator)
    {
        Dense = RegisterModule("dense", new Linear(config.HiddenSize, config.HiddenSize, generator: generator));
        LayerNorm = RegisterModule("LayerNorm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
        using var _ = Autograd.NoGrad.Enter();
        Init.Normal(Dense.Weight, 0f, 0.02f, generator);
        Init.Zeros(Dense.Bias!);
    }

    /// <summary>dense: hidden → hidden.</summary>
    public Linear Dense { get; }
    /// <summary>LayerNorm: the norm after the GELU.</summary>
    public LayerNorm LayerNorm { get; }

    /// <summary>LayerNorm(gelu(dense(x))): [B, T, H] → [B, T, H].</summary>
    public Tensor Forward(Tensor x) => LayerNorm.Forward(Dense.Forward(x).Gelu());
}

/// <summary>Holds the prediction head under "predictions", as transformers' BertOnlyMLMHead ("cls").</summary>
public sealed class BertOnlyMLMHead : Module
{
    /// <summary>Creates the prediction head, tied to <paramref name="wordEmbeddings"/>.</summary>
    public BertOnlyMLMHead(BertConfig config, Embedding wordEmbeddings, Generator? generator) =>
        Predictions = RegisterModule("predictions", new BertLMPredictionHead(config, wordEmbeddings, generator));

    /// <summary>predictions: the prediction head.</summary>
    public BertLMPredictionHead Predictions { get; }
}

/// <summary>
/// BERT for masked-language-model pre-training (Devlin et al., 2019, §3.1), as Hugging Face's BertForMaskedLM: the
/// encoder without the pooler and the "cls" prediction head tied to the word embeddings. Its folder (transformers' names,
/// architectures BertForMaskedLM) is what fine-tuning starts from: a classifier put on it gets a fresh pooler.
/// </summary>
public sealed class BertForMaskedLM : BertTaskModel
{
    /// <summary>
    /// Creates the model for <paramref name="config"/>, made a BertForMaskedLM one: no pooler and no labels.
    /// </summary>
    public BertForMaskedLM(BertConfig config, Generator? generator = null)
    {
        Config = config with { Architectures = ["BertForMaskedLM"], AddPoolingLayer = false, Labels = [] };
        Bert = RegisterModule("bert", new BertModel(Config, generator));
        Cls = RegisterModule("cls", new BertOnlyMLMHead(Config, Bert.Embeddings.WordEmbeddings, generator));
    }

    /// <summary>bert: the encoder, without its pooler.</summary>
    public BertModel Bert { get; }

    /// <inheritdoc/>
    public override BertModel BaseModel => Bert;
    /// <summary>cls: the masked-LM head, tied to the encoder's word embeddings.</summary>
    public BertOnlyMLMHead Cls { get; }

    /// <summary>Token logits [B, T, vocab] for ids [B, T] with an optional attention mask.</summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null)
    {
        var (hidden, _) = Bert.Forward(inputIds, attentionMask);   // [B, T, H]
        return Cls.Predictions.Forward(hidden);                     // [B, T, vocab]
    }

    /// <summary>Mean cross-entropy over the positions whose label is not <paramref name="ignoreIndex"/> (the masked ones).</summary>
    public Tensor MaskedLmLoss(Tensor inputIds, Tensor labels, Tensor? attentionMask = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean)
    {
        var logits = Forward(inputIds, attentionMask);
        int rows = logits.Shape[0] * logits.Shape[1];
        return Tensor.CrossEntropy(logits.Reshape(rows, Config.VocabSize), labels.Reshape(rows), reduction, ignoreIndex);
    }
}
