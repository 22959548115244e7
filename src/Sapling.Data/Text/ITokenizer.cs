namespace Sapling.Text;

/// <summary>Text ⇄ token ids, saved as a Hugging Face tokenizer.json.</summary>
public interface ITokenizer
{
    int VocabSize { get; }

    /// <summary>The id of &lt;|endoftext|&gt;, which separates documents.</summary>
    int EndOfTextId { get; }

    int[] Encode(string text);

    string Decode(IEnumerable<int> ids, bool skipSpecial = false);

    void Save(string path);
}
