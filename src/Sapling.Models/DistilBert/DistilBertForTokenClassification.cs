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

    public Dropout Dropout { get; }
    public Linear Classifier { get; }

    /// <summary>Scores [B, T, tags] for ids [B, T] with an attention mask [B, T] (1 real, 0 padding).</summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null)
    {
        var hidden = Distilbert.Forward(inputIds, attentionMask);     // [B, T, dim]
        return Classifier.Forward(Dropout.Forward(hidden));           // [B, T, tags]
    }

    // ITokenClassifier: how the trainer and the tagger use it.

    public string[] Labels => Config.Labels;

    public Module Head => Classifier;

    public int PadId(ITokenizer tokenizer) => Config.PadTokenId;

    public Tensor ClassifyTokens(Tensor ids, int[] lengths) => Forward(ids, EncoderInput.Mask(lengths, ids.Shape[1]));
}
