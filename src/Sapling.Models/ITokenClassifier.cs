using Sapling.NN;
using Sapling.Data.Text;

namespace Sapling.Models;

/// <summary>
/// A pretrained body with a token-classification head (transformers' ...ForTokenClassification): one score per label for
/// every token, for sequence labelling (named entities, punctuation, parts of speech). Words are labelled through their
/// first sub-word token, as transformers' token-classification recipe does.
/// </summary>
public interface ITokenClassifier : ITrainableModel
{
    /// <summary>Tag names by id (the config's id2label).</summary>
    string[] Labels { get; }

    /// <summary>The head, which always trains, whatever the body does (PEFT's modules_to_save).</summary>
    Module Head { get; }

    /// <summary>The id that fills a batch row after its text ends.</summary>
    int PadId(ITokenizer tokenizer);

    /// <summary>Scores [B, T, labels] for right-padded ids [B, T] whose rows hold <paramref name="lengths"/> real tokens.</summary>
    Tensor ClassifyTokens(Tensor ids, int[] lengths);
}
