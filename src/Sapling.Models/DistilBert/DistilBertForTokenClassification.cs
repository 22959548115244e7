using Sapling.NN;
using Sapling.Data.Text;

namespace Sapling.Models.DistilBert;

/// <summary>
/// DistilBERT with transformers' token-classification head: dropout (the config's dropout) and one linear layer from
/// every token's state to the tags. Weights keep transformers' names ("distilbert.…", "classifier.…"), so a checkpoint
/// fine-tuned with transformers loads unchanged and Sapling's loads there.
/// </summary>
public sealed class DistilBertForTokenClassification : DistilBertTaskModel, ITokenClassifier
{
    /// <summary>
    /// Creates an encoder and a head over <paramref name="config"/>'s tags (at least 2), all initialised afresh; start
    /// from <see cref="FromEncoder"/> to fine-tune a pretrained encoder.
    /// </summary>
    public DistilBertForTokenClassification(DistilBertConfig config, Generator? generator = null)
        : this(new DistilBertModel(config, generator), config, generator) { }

    private DistilBertForTokenClassification(DistilBertModel distilbert, DistilBertConfig config, Generator? generator)
        : base(distilbert, config with { Architectures = ["DistilBertForTokenClassification"] })
    {
        if (config.Labels.Length < 2) throw new ArgumentException("a token classifier needs at least 2 tags");
        Dropout = RegisterModule("dropout", new Dropout(config.Dropout));
        Classifier = RegisterModule("classifier", new Linear(config.Dim, config.Labels.Length, generator: generator));
        using var _ = Autograd.NoGrad.Enter();
        Init.Normal(Classifier.Weight, 0f, 0.02f, generator);
        Init.Zeros(Classifier.Bias!);
    }

    /// <summary>A new head with <paramref name="labels"/> on a pretrained encoder.</summary>
    public static DistilBertForTokenClassification FromEncoder(DistilBertModel encoder, IReadOnlyList<string> labels, Generator? generator = null) =>
        new(encoder, encoder.Config with { Labels = labels.ToArray() }, generator);

    /// <summary>Dropout on every token's state (the config's dropout).</summary>
    public Dropout Dropout { get; }
    /// <summary>classifier: the linear head, dim → tags, applied to every token.</summary>
    public Linear Classifier { get; }

    /// <summary>Scores [B, T, tags] for ids [B, T] with an attention mask [B, T] (1 real, 0 padding).</summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null)
    {
        var hidden = Distilbert.Forward(inputIds, attentionMask);     // [B, T, dim]
        return Classifier.Forward(Dropout.Forward(hidden));           // [B, T, tags]
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
