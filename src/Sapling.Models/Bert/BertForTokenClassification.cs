using Sapling.NN;
using Sapling.Data.Text;

namespace Sapling.Models.Bert;

/// <summary>
/// BERT or RoBERTa with a token-classification head, as transformers' BertForTokenClassification and
/// RobertaForTokenClassification (the two are the same network): the encoder without its pooler, dropout, and one linear
/// layer from every token's state to the tags. Weights keep transformers' names ("bert.…" or "roberta.…",
/// "classifier.…"), so a checkpoint fine-tuned with transformers loads unchanged and Sapling's loads there.
/// </summary>
public sealed class BertForTokenClassification : BertTaskModel, ITokenClassifier
{
    /// <summary>
    /// Creates an encoder without its pooler and a head over <paramref name="config"/>'s tags (at least 2), all
    /// initialised afresh; start from <see cref="FromEncoder"/> to fine-tune a pretrained encoder.
    /// </summary>
    public BertForTokenClassification(BertConfig config, Generator? generator = null)
        : this(new BertModel(config with { AddPoolingLayer = false }, generator), config, generator) { }

    private BertForTokenClassification(BertModel encoder, BertConfig config, Generator? generator)
    {
        if (config.Labels.Length < 2) throw new ArgumentException("a token classifier needs at least 2 tags");
        if (encoder.Pooler != null) throw new ArgumentException("...ForTokenClassification reads every token's state; load the encoder without its pooler");
        Config = config with { Architectures = [config.ModelType == BertConfig.RobertaType ? "RobertaForTokenClassification" : "BertForTokenClassification"], AddPoolingLayer = false };
        Encoder = RegisterModule(config.ModelType, encoder);
        Dropout = RegisterModule("dropout", new Dropout(config.ClassifierDropout ?? config.HiddenDropoutProb));
        Classifier = RegisterModule("classifier", new Linear(config.HiddenSize, config.Labels.Length, generator: generator));
        using var _ = Autograd.NoGrad.Enter();
        Init.Normal(Classifier.Weight, 0f, 0.02f, generator);
        Init.Zeros(Classifier.Bias!);
    }

    /// <summary>A new head with <paramref name="labels"/> on a pretrained encoder loaded without its pooler.</summary>
    public static BertForTokenClassification FromEncoder(BertModel encoder, IReadOnlyList<string> labels, Generator? generator = null) =>
        new(encoder, encoder.Config with { Labels = labels.ToArray() }, generator);


    /// <summary>The encoder, registered as "bert" or "roberta" after the config's model_type.</summary>
    public BertModel Encoder { get; }

    /// <inheritdoc/>
    public override BertModel BaseModel => Encoder;
    /// <summary>
    /// Dropout on every token's state (classifier_dropout, or hidden_dropout_prob when it is not set).
    /// </summary>
    public Dropout Dropout { get; }
    /// <summary>classifier: the linear head, hidden → tags, applied to every token.</summary>
    public Linear Classifier { get; }

    /// <summary>Scores [B, T, tags] for ids [B, T] with an attention mask [B, T] (1 real, 0 padding).</summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null)
    {
        var (hidden, _) = Encoder.Forward(inputIds, attentionMask, tokenTypeIds);   // [B, T, H]
        return Classifier.Forward(Dropout.Forward(hidden));                          // [B, T, tags]
    }

    // ITokenClassifier: how the trainer and the tagger use it.

    /// <inheritdoc/>
    public string[] Labels => Config.Labels;

    /// <inheritdoc/>
    public Module Head => Classifier;

    /// <summary>The config's pad_token_id (the tokenizer is not consulted).</summary>
    public int PadId(ITokenizer tokenizer) => Config.PadTokenId;

    /// <inheritdoc/>
    public Tensor ClassifyTokens(Tensor ids, int[] lengths) => Forward(ids, EncoderInput.Mask(lengths, ids.Shape[1]));
}
