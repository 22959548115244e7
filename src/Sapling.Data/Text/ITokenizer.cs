namespace Sapling.Data.Text;

/// <summary>Text ⇄ token ids, saved as a Hugging Face tokenizer.json.</summary>
public interface ITokenizer
{
    /// <summary>Number of ids, special tokens included; every id is in [0, VocabSize).</summary>
    int VocabSize { get; }

    /// <summary>The id of &lt;|endoftext|&gt;, which separates documents.</summary>
    int EndOfTextId { get; }

    /// <summary>The ids of a text, without special tokens.</summary>
    int[] Encode(string text);

    /// <summary>
    /// The ids of a text, with the special tokens the tokenizer's post-processor adds (BOS, [CLS] … [SEP]) when
    /// <paramref name="addSpecialTokens"/>; tokenizers without a post-processor add none.
    /// </summary>
    int[] Encode(string text, bool addSpecialTokens) => Encode(text);

    /// <summary>
    /// The text of <paramref name="ids"/>; with <paramref name="skipSpecial"/>, special tokens are left out instead of
    /// written as themselves.
    /// </summary>
    string Decode(IEnumerable<int> ids, bool skipSpecial = false);

    /// <summary>The raw bytes of the ids; a byte-level token may hold part of a UTF-8 character.</summary>
    byte[] DecodeBytes(IEnumerable<int> ids, bool skipSpecial = false) => System.Text.Encoding.UTF8.GetBytes(Decode(ids, skipSpecial));

    /// <summary>Writes the tokenizer as a Hugging Face tokenizer.json file at <paramref name="path"/>.</summary>
    void Save(string path);

    /// <summary>The id of a token (special tokens included), or -1.</summary>
    int IdOf(string token);

    /// <summary>
    /// A tokenizer with these special tokens appended after the existing ids (which keep their meaning), each encoded
    /// as one token wherever it appears in text; tokens already present are kept as they are.
    /// </summary>
    ITokenizer WithSpecialTokens(IReadOnlyList<string> tokens);
}
