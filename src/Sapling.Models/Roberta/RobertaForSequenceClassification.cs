using Sapling.Models.Bert;
using Sapling.NN;
using Sapling.Data.Text;

namespace Sapling.Models.Roberta;

// RoBERTa (Liu et al., "RoBERTa: A Robustly Optimized BERT Pretraining Approach", 2019) is BERT's encoder trained
// differently: the layers are BERT's (Sapling's BertModel with model_type roberta), positions count from the padding id,
// there is one token type, and the classification head reads the <s> state through its own dense + tanh layer instead
// of BERT's pooler. Weights keep transformers' names ("roberta.…", "classifier.dense", "classifier.out_proj").

/// <summary>dense → tanh → out_proj on the first token's state, with dropout before each (transformers' RobertaClassificationHead).</summary>
public sealed class RobertaClassificationHead : Module
{
    /// <summary>
    /// Creates the head for <paramref name="labels"/> classes, its layers initialised N(0, 0.02) with zero biases.
    /// </summary>
    public RobertaClassificationHead(BertConfig config, int labels, Generator? generator)
    {
        Dropout = RegisterModule("dropout", new Dropout(config.ClassifierDropout ?? config.HiddenDropoutProb));
        Dense = RegisterModule("dense", new Linear(config.HiddenSize, config.HiddenSize, generator: generator));
        OutProj = RegisterModule("out_proj", new Linear(config.HiddenSize, labels, generator: generator));
        using var _ = Autograd.NoGrad.Enter();
        foreach (var linear in new[] { Dense, OutProj })
        {
            Init.Normal(linear.Weight, 0f, 0.02f, generator);
            Init.Zeros(linear.Bias!);
        }
    }

    /// <summary>Dropout before dense and again before out_proj (classifier_dropout, or hidden_dropout_prob).</summary>
    public Dropout Dropout { get; }
    /// <summary>dense: hidden → hidden, followed by tanh.</summary>
    public Linear Dense { get; }
    /// <summary>out_proj: hidden → classes.</summary>
    public Linear OutProj { get; }

    /// <summary>[B, T, H] → [B, labels]</summary>
    public Tensor Forward(Tensor hidden)
    {
        var x = Dropout.Forward(hidden.Select(1, 0));             // [B, H], the <s> token
        x = Dropout.Forward(Dense.Forward(x).Tanh());
        return OutProj.Forward(x);
    }
}

/// <summary>RoBERTa with a sequence-classification head, as transformers' RobertaForSequenceClassification.</summary>
public sealed class RobertaForSequenceClassification : BertTaskModel, ISequenceClassifier
{
    /// <summary>
    /// Creates an encoder without BERT's pooler and a head over <paramref name="config"/>'s labels (at least 2), all
    /// initialised afresh; the config must be a roberta one. Start from <see cref="FromEncoder"/> to fine-tune a
    /// pretrained encoder.
    /// </summary>
    public RobertaForSequenceClassification(BertConfig config, Generator? generator = null)
        : this(new BertModel(config with { AddPoolingLayer = false }, generator), config, generator) { }

    private RobertaForSequenceClassification(BertModel roberta, BertConfig config, Generator? generator)
    {
        if (config.ModelType != BertConfig.RobertaType) throw new ArgumentException($"a RoBERTa classifier needs model_type roberta, not {config.ModelType}");
        if (config.Labels.Length < 2) throw new ArgumentException("a sequence classifier needs at least 2 labels");
        if (roberta.Pooler != null) throw new ArgumentException("RobertaForSequenceClassification reads the <s> state through its own head; load the encoder without its pooler");
        Config = config with { Architectures = ["RobertaForSequenceClassification"], AddPoolingLayer = false };
        Roberta = RegisterModule("roberta", roberta);
        Classifier = RegisterModule("classifier", new RobertaClassificationHead(config, config.Labels.Length, generator));
    }

    /// <summary>A new head with <paramref name="labels"/> on a pretrained encoder loaded without its pooler.</summary>
    public static RobertaForSequenceClassification FromEncoder(BertModel encoder, IReadOnlyList<string> labels, Generator? generator = null) =>
        new(encoder, encoder.Config with { Labels = labels.ToArray() }, generator);

    /// <summary>roberta: the encoder, without BERT's pooler.</summary>
    public BertModel Roberta { get; }

    /// <inheritdoc/>
    public override BertModel BaseModel => Roberta;
    /// <summary>classifier: the head on the &lt;s&gt; state.</summary>
    public RobertaClassificationHead Classifier { get; }

    /// <summary>Logits [B, classes] for ids [B, T] with an attention mask [B, T] (1 real, 0 padding).</summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null)
    {
        var (hidden, _) = Roberta.Forward(inputIds, attentionMask);   // [B, T, H]
        return Classifier.Forward(hidden);                              // [B, classes]
    }

    /// <inheritdoc/>
    public string[] Labels => Config.Labels;
    /// <inheritdoc/>
    public Module Head => Classifier;
    /// <summary>The config's pad_token_id (the tokenizer is not consulted).</summary>
    public int PadId(ITokenizer tokenizer) => Config.PadTokenId;

    /// <summary>&lt;s&gt; text &lt;/s&gt; (the tokenizer's post-processor), cut keeping the closing &lt;/s&gt;.</summary>
    public int[] Encode(ITokenizer tokenizer, string text, int maxTokens) =>
        EncoderInput.Encode(tokenizer, text, Math.Min(maxTokens, Config.MaxTokens), Config.PadTokenId);

    /// <inheritdoc/>
    public Tensor Classify(Tensor ids, int[] lengths) => Forward(ids, EncoderInput.Mask(lengths, ids.Shape[1]));
}
