using Sapling.NN;
using Sapling.Data.Text;

namespace Sapling.Models.Bert;

/// <summary>
/// BERT with a sequence-classification head, as Hugging Face's BertForSequenceClassification: the pooled [CLS] vector
/// (tanh pooler), dropout, one linear layer to the classes. Weights keep transformers' names ("bert.…",
/// "classifier.…"), so a checkpoint fine-tuned with transformers loads unchanged and Sapling's loads there.
/// </summary>
public sealed class BertForSequenceClassification : BertTaskModel, ISequenceClassifier
{
    /// <summary>
    /// Creates an encoder with its pooler and a head over <paramref name="config"/>'s labels (at least 2), all
    /// initialised afresh; start from <see cref="FromEncoder"/> to fine-tune a pretrained encoder.
    /// </summary>
    public BertForSequenceClassification(BertConfig config, Generator? generator = null)
        : this(new BertModel(config, generator), config, generator) { }

    private BertForSequenceClassification(BertModel bert, BertConfig config, Generator? generator)
    {
        if (config.Labels.Length < 2) throw new ArgumentException("a sequence classifier needs at least 2 labels");
        if (bert.Pooler == null) throw new ArgumentException("BertForSequenceClassification classifies the pooled [CLS] vector; this encoder has no pooler (add_pooling_layer false)");
        Config = config with { Architectures = ["BertForSequenceClassification"] };
        Bert = RegisterModule("bert", bert);
        Dropout = RegisterModule("dropout", new Dropout(config.ClassifierDropout ?? config.HiddenDropoutProb));
        Classifier = RegisterModule("classifier", new Linear(config.HiddenSize, config.Labels.Length, generator: generator));
        using var _ = Autograd.NoGrad.Enter();
        Init.Normal(Classifier.Weight, 0f, 0.02f, generator);
        Init.Zeros(Classifier.Bias!);
    }

    /// <summary>A new head with <paramref name="labels"/> on a pretrained encoder (fine-tuning starts here).</summary>
    public static BertForSequenceClassification FromEncoder(BertModel encoder, IReadOnlyList<string> labels, Generator? generator = null) =>
        new(encoder, encoder.Config with { Labels = labels.ToArray() }, generator);

    /// <summary>bert: the encoder, pooler included.</summary>
    public BertModel Bert { get; }

    /// <inheritdoc/>
    public override BertModel BaseModel => Bert;
    /// <summary>Dropout on the pooled vector (classifier_dropout, or hidden_dropout_prob when it is not set).</summary>
    public Dropout Dropout { get; }
    /// <summary>classifier: the linear head, hidden → classes.</summary>
    public Linear Classifier { get; }

    /// <summary>Logits [B, classes] for ids [B, T] with an attention mask [B, T] (1 real, 0 padding).</summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null)
    {
        var (_, pooled) = Bert.Forward(inputIds, attentionMask, tokenTypeIds);       // [B, H]
        return Classifier.Forward(Dropout.Forward(pooled!));                          // [B, classes]
    }

    // ISequenceClassifier: how the trainer, predict and serve use it.

    /// <inheritdoc/>
    public string[] Labels => Config.Labels;

    /// <inheritdoc/>
    public Module Head => Classifier;

    /// <summary>The config's pad_token_id (the tokenizer is not consulted).</summary>
    public int PadId(ITokenizer tokenizer) => Config.PadTokenId;

    /// <summary>[CLS] text [SEP], cut to <paramref name="maxTokens"/> keeping the closing [SEP] (the tokenizer's truncation).</summary>
    public int[] Encode(ITokenizer tokenizer, string text, int maxTokens) =>
        EncoderInput.Encode(tokenizer, text, Math.Min(maxTokens, Config.MaxTokens), Config.PadTokenId);

    /// <inheritdoc/>
    public Tensor Classify(Tensor ids, int[] lengths) => Forward(ids, EncoderInput.Mask(lengths, ids.Shape[1]));
}
