using Sapling.Text;

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

    /// <summary>The attention mask [B, T] of right-padded rows: 1 over each row's first <paramref name="lengths"/> tokens.</summary>
    public static Tensor Mask(int[] lengths, int t)
    {
        var mask = new float[lengths.Length * t];
        for (int r = 0; r < lengths.Length; r++) mask.AsSpan(r * t, lengths[r]).Fill(1f);
        return Tensor.FromArray(mask, lengths.Length, t);
    }
}
