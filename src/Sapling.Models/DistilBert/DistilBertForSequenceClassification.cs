using Sapling.NN;
using Sapling.Data.Text;

namespace Sapling.Models.DistilBert;

/// <summary>DistilBERT with transformers' sequence-classification head: [CLS] state → pre_classifier → ReLU → dropout → classifier.</summary>
public sealed class DistilBertForSequenceClassification : DistilBertTaskModel, ISequenceClassifier
{
    /// <summary>
    /// Creates an encoder and a head over <paramref name="config"/>'s labels (at least 2), all initialised afresh;
    /// start from <see cref="FromEncoder"/> to fine-tune a pretrained encoder.
    /// </summary>
    public DistilBertForSequenceClassification(DistilBertConfig config, Generator? generator = null)
        : this(new DistilBertModel(config, generator), config, generator) { }

    private DistilBertForSequenceClassification(DistilBertModel distilbert, DistilBertConfig config, Generator? generator)
        : base(distilbert, config with { Architectures = ["DistilBertForSequenceClassification"] })
    {
        if (config.Labels.Length < 2) throw new ArgumentException("a sequence classifier needs at least 2 labels");
        PreClassifier = RegisterModule("pre_classifier", new Linear(config.Dim, config.Dim, generator: generator));
        Classifier = RegisterModule("classifier", new Linear(config.Dim, config.Labels.Length, generator: generator));
        Dropout = RegisterModule("dropout", new Dropout(config.SeqClassifDropout));
        Head = new HeadModules(PreClassifier, Classifier);
        using var _ = Autograd.NoGrad.Enter();
        foreach (var linear in new[] { PreClassifier, Classifier })
        {
            Init.Normal(linear.Weight, 0f, 0.02f, generator);
            Init.Zeros(linear.Bias!);
        }
    }

    /// <summary>A new head with <paramref name="labels"/> on a pretrained encoder.</summary>
    public static DistilBertForSequenceClassification FromEncoder(DistilBertModel encoder, IReadOnlyList<string> labels, Generator? generator = null) =>
        new(encoder, encoder.Config with { Labels = labels.ToArray() }, generator);

    /// <summary>pre_classifier: dim → dim, followed by ReLU.</summary>
    public Linear PreClassifier { get; }
    /// <summary>classifier: dim → classes.</summary>
    public Linear Classifier { get; }
    /// <summary>Dropout before the classifier (seq_classif_dropout).</summary>
    public Dropout Dropout { get; }

    /// <summary>
    /// Logits [B, classes] for ids [B, T] with an attention mask [B, T] (1 real, 0 padding), from the [CLS] state.
    /// </summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null)
    {
        var hidden = Distilbert.Forward(inputIds, attentionMask).Select(1, 0);                 // [B, dim], the [CLS] state
        return Classifier.Forward(Dropout.Forward(PreClassifier.Forward(hidden).Relu()));      // [B, classes]
    }

    /// <inheritdoc/>
    public string[] Labels => Config.Labels;
    /// <summary>pre_classifier and classifier together (the state dict names them from the model, not from here).</summary>
    public Module Head { get; }
    /// <summary>The config's pad_token_id (the tokenizer is not consulted).</summary>
    public int PadId(ITokenizer tokenizer) => Config.PadTokenId;

    /// <summary>
    /// [CLS] text [SEP], cut to <paramref name="maxTokens"/> and max_position_embeddings keeping the closing [SEP].
    /// </summary>
    public int[] Encode(ITokenizer tokenizer, string text, int maxTokens) =>
        EncoderInput.Encode(tokenizer, text, Math.Min(maxTokens, Config.MaxPositionEmbeddings), Config.PadTokenId);

    /// <inheritdoc/>
    public Tensor Classify(Tensor ids, int[] lengths) => Forward(ids, EncoderInput.Mask(lengths, ids.Shape[1]));

    private sealed class HeadModules : Module
    {
        public HeadModules(Linear preClassifier, Linear classifier)
        {
            RegisterModule("pre_classifier", preClassifier);
            RegisterModule("classifier", classifier);
        }
    }
}
