using Sapling.Autograd;
using Sapling.Models;
using Sapling.Data.Text;

namespace Sapling.Inference;

/// <summary>
/// Runs a token classifier (BertForTokenClassification, RobertaForTokenClassification) over sentences given as words:
/// each word is tokenised on its own, the sentence is cut to the model's context, and a word's tag is the one its first
/// sub-word token scores highest, as transformers' token-classification pipeline reads it ("first" aggregation).
/// </summary>
public sealed class TokenTagger(ITokenClassifier model, ITokenizer tokenizer)
{
    /// <summary>The token classifier.</summary>
    public ITokenClassifier Model { get; } = model;

    /// <summary>The tag names, by tag id.</summary>
    public string[] Labels => Model.Labels;

    /// <summary>A token-classifier folder with its tokenizer.</summary>
    public static TokenTagger Load(string directory)
    {
        var tokenizer = ModelRegistry.RequireTokenizer(directory, "to read the words with");
        return new TokenTagger(ModelRegistry.LoadTokenClassifier(directory), tokenizer);
    }

    /// <summary>A line of text as words: split at whitespace.</summary>
    public static string[] Words(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Each sentence's tag id per word; -1 for a word the context cut off or that has no tokens.</summary>
    public int[][] Tag(IReadOnlyList<IReadOnlyList<string>> sentences, int batchSize = 32)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be positive");
        var encoded = new EncodedWords[sentences.Count];
        for (int i = 0; i < encoded.Length; i++) encoded[i] = EncoderInput.EncodeWords(tokenizer, sentences[i], Model.ContextLength);
        var result = new int[sentences.Count][];
        int padId = Model.PadId(tokenizer);
        Model.Network.Eval();
        using var _ = NoGrad.Enter();
        for (int start = 0; start < encoded.Length; start += batchSize)
        {
            int b = Math.Min(batchSize, encoded.Length - start);
            using var scope = new TensorScope();
            var rows = new int[b][];
            int longest = 0;
            for (int r = 0; r < b; r++) longest = Math.Max(longest, (rows[r] = encoded[start + r].Ids).Length);
            var (ids, lengths) = TextClassifier.Pad(rows, padId, longest);
            var best = Model.ClassifyTokens(ids, lengths).ArgMax(-1).ToArray<long>();             // [b * longest]
            for (int r = 0; r < b; r++)
            {
                var starts = encoded[start + r].WordStarts;
                var tags = new int[starts.Length];
                for (int w = 0; w < starts.Length; w++) tags[w] = starts[w] < 0 ? -1 : (int)best[r * longest + starts[w]];
                result[start + r] = tags;
            }
        }
        return result;
    }
}
