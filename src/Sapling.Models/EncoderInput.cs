using Sapling.Data.Text;

namespace Sapling.Models;

/// <summary>How encoder classifiers (BERT, RoBERTa, DistilBERT) read text: with the tokenizer's special tokens, cut
/// keeping the closing one, and right-padded batches masked by each row's length.</summary>
public static class EncoderInput
{
    /// <summary>The text's ids with [CLS]/[SEP] (or &lt;s&gt;/&lt;/s&gt;), at most <paramref name="limit"/> long keeping the
    /// closing token, as the Hugging Face tokenizer truncates; a text with no tokens becomes the padding id.</summary>
    public static int[] Encode(ITokenizer tokenizer, string text, int limit, int padId)
    {
        var ids = tokenizer.Encode(text, addSpecialTokens: true);
        if (ids.Length == 0) return [padId];
        return ids.Length <= limit ? ids : [.. ids[..(limit - 1)], ids[^1]];
    }

    /// <summary>
    /// Words already split (a sequence-labelling corpus) as an encoder reads them, like transformers'
    /// <c>is_split_into_words</c>: each word is encoded on its own after a space (so a byte-level vocabulary sees the
    /// word-initial form), inside the special tokens an empty text gets, and the ids are cut to <paramref name="limit"/>
    /// keeping the closing token; words cut off, and words without tokens, have no start.
    /// </summary>
    public static EncodedWords EncodeWords(ITokenizer tokenizer, IReadOnlyList<string> words, int limit)
    {
        var shell = tokenizer.Encode("", addSpecialTokens: true);
        if (shell.Length > 2) throw new NotSupportedException($"the tokenizer wraps a text in {shell.Length} special tokens; sequence labelling reads encoders that add one before and one after");
        int open = shell.Length > 0 ? 1 : 0, close = shell.Length > 1 ? 1 : 0;
        if (limit < open + close + 1) throw new ArgumentOutOfRangeException(nameof(limit), limit, "too short for the special tokens and one word piece");
        var ids = new List<int>(Math.Min(limit, 4 * words.Count + 2));
        if (open == 1) ids.Add(shell[0]);
        var starts = new int[words.Count];
        Array.Fill(starts, -1);
        int room = limit - close;
        for (int w = 0; w < words.Count && ids.Count < room; w++)
        {
            var pieces = tokenizer.Encode(" " + words[w], addSpecialTokens: false);
            if (pieces.Length == 0) continue;
            starts[w] = ids.Count;
            for (int k = 0; k < pieces.Length && ids.Count < room; k++) ids.Add(pieces[k]);
        }
        if (close == 1) ids.Add(shell[1]);
        return new EncodedWords(ids.ToArray(), starts);
    }

    /// <summary>The attention mask [B, T] of right-padded rows: 1 over each row's first <paramref name="lengths"/> tokens.</summary>
    public static Tensor Mask(int[] lengths, int t)
    {
        var mask = new float[lengths.Length * t];
        for (int r = 0; r < lengths.Length; r++) mask.AsSpan(r * t, lengths[r]).Fill(1f);
        return Tensor.FromArray(mask, lengths.Length, t);
    }
}
