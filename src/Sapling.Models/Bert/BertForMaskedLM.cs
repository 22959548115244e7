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

    public BertLMPredictionHead(BertConfig config, Embedding wordEmbeddings, Generator? generator)
    {
        this.wordEmbeddings = wordEmbeddings;
        Transform = RegisterModule("transform", new BertPredictionHeadTransform(config, generator));
        Bias = RegisterParameter("bias", Tensor.Zeros(config.VocabSize));
    }

    public BertPredictionHeadTransform Transform { get; }
    public Tensor Bias { get; }

    public Tensor Forward(Tensor hidden) => Tensor.Linear(Transform.Forward(hidden), wordEmbeddings.Weight, Bias);
}

/// <summary>dense → GELU → LayerNorm, before the tied decoder (Hugging Face's BertPredictionHeadTransform).</summary>
public sealed class BertPredictionHeadTransform : Module
{
    public BertPredictionHeadTransform(BertConfig config, Generator? generator)
    {
        Dense = RegisterModule("dense", new Linear(config.HiddenSize, config.HiddenSize, generator: generator));
        LayerNorm = RegisterModule("LayerNorm", new LayerNorm(config.HiddenSize, config.LayerNormEps));
        using var _ = Autograd.NoGrad.Enter();
        Init.Normal(Dense.Weight, 0f, 0.02f, generator);
        Init.Zeros(Dense.Bias!);
    }

    public Linear Dense { get; }
    public LayerNorm LayerNorm { get; }

    public Tensor Forward(Tensor x) => LayerNorm.Forward(Dense.Forward(x).Gelu());
}

/// <summary>Holds the prediction head under "predictions", as transformers' BertOnlyMLMHead ("cls").</summary>
public sealed class BertOnlyMLMHead : Module
{
    public BertOnlyMLMHead(BertConfig config, Embedding wordEmbeddings, Generator? generator) =>
        Predictions = RegisterModule("predictions", new BertLMPredictionHead(config, wordEmbeddings, generator));

    public BertLMPredictionHead Predictions { get; }
}

/// <summary>
/// BERT for masked-language-model pre-training (Devlin et al., 2019, §3.1), as Hugging Face's BertForMaskedLM: the
/// encoder without the pooler and the "cls" prediction head tied to the word embeddings. Its folder (transformers' names,
/// architectures BertForMaskedLM) is what fine-tuning starts from: a classifier put on it gets a fresh pooler.
/// </summary>
public sealed class BertForMaskedLM : BertTaskModel
{
    public BertForMaskedLM(BertConfig config, Generator? generator = null)
    {
        Config = config with { Architectures = ["BertForMaskedLM"], AddPoolingLayer = false, Labels = [] };
        Bert = RegisterModule("bert", new BertModel(Config, generator));
        Cls = RegisterModule("cls", new BertOnlyMLMHead(Config, Bert.Embeddings.WordEmbeddings, generator));
    }

    public BertModel Bert { get; }

    public override BertModel BaseModel => Bert;
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
