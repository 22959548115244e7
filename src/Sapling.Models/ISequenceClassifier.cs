using Sapling.NN;
using Sapling.Data.Text;

namespace Sapling.Models;

/// <summary>
/// A text classifier made of a pretrained network and a classification head (GPT2ForSequenceClassification,
/// BertForSequenceClassification): how it reads a text, and the class logits of a right-padded batch.
/// </summary>
public interface ISequenceClassifier : ITrainableModel
{
    /// <summary>Class names by id (the config's id2label).</summary>
    string[] Labels { get; }

    /// <summary>The head, which always trains, whatever the body does (PEFT's modules_to_save).</summary>
    Module Head { get; }

    /// <summary>The id that fills a batch row after its text ends.</summary>
    int PadId(ITokenizer tokenizer);

    /// <summary>A text's ids as the classifier reads them (with the family's special tokens), at most
    /// <paramref name="maxTokens"/> long and never empty.</summary>
    int[] Encode(ITokenizer tokenizer, string text, int maxTokens);

    /// <summary>Logits [B, classes] for right-padded ids [B, T] whose rows hold <paramref name="lengths"/> real tokens.</summary>
    Tensor Classify(Tensor ids, int[] lengths);
}
