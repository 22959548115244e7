using Sapling.Data.Json;
namespace Sapling.Data.Text.Tokenization;

/// <summary>
/// BERT's WordPiece: greedy longest match from the left, pieces after the first spelled with the continuing prefix
/// (<c>##</c>); a word with a part no token covers, or longer than <c>max_input_chars_per_word</c> code points, is
/// the unknown token.
/// </summary>
internal sealed class WordPieceModel : TokenizerModel
{
    private readonly string source;
    private readonly Dictionary<string, int> ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> idLookup;
    private readonly string?[] tokens;
    private readonly string prefix;
    private readonly int maxChars;
    private readonly int unkId;
    private readonly string unkToken;

    private WordPieceModel(JsonSection s)
    {
        source = s.File;
        (ids, tokens) = ReadVocabulary(s);
        idLookup = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        prefix = s.OptionalString("continuing_subword_prefix") ?? "##";
        maxChars = s.Int("max_input_chars_per_word", 100);
        unkToken = s.OptionalString("unk_token") ?? "[UNK]";
        unkId = ids.TryGetValue(unkToken, out int u) ? u : -1;
    }

    public static WordPieceModel FromJson(JsonSection s) => new(s);

    public override int IdLimit => tokens.Length;

    public override bool TryGetId(string token, out int id) => ids.TryGetValue(token, out id);

    public override string? TokenOf(int id) => (uint)id < (uint)tokens.Length ? tokens[id] : null;

    public override void Tokenize(ReadOnlySpan<char> word, List<int> output)
    {
        int codePoints = 0;
        for (int i = 0; i < word.Length; i++) if (!char.IsLowSurrogate(word[i]) || i == 0 || !char.IsHighSurrogate(word[i - 1])) codePoints++;
        if (codePoints > maxChars)
        {
            output.Add(Unknown());
            return;
        }
        int mark = output.Count;
        Span<char> buffer = word.Length + prefix.Length <= 256 ? stackalloc char[word.Length + prefix.Length] : new char[word.Length + prefix.Length];
        prefix.CopyTo(buffer);
        int start = 0;
        while (start < word.Length)
        {
            int end = word.Length, found = -1;
            while (start < end)
            {
                scoped ReadOnlySpan<char> candidate;
                if (start == 0) candidate = word[..end];
                else
                {
                    word[start..end].CopyTo(buffer[prefix.Length..]);
                    candidate = buffer[..(prefix.Length + end - start)];
                }
                if (idLookup.TryGetValue(candidate, out found)) break;
                found = -1;
                CharacterClasses.CodePointBefore(word, end, out int length);
                end -= length;
            }
            if (found < 0)
            {
                output.RemoveRange(mark, output.Count - mark);
                output.Add(Unknown());
                return;
            }
            output.Add(found);
            start = end;
        }
    }

    private int Unknown() => unkId >= 0 ? unkId : throw new InvalidDataException($"{source}: $.model: WordPiece: the unknown token '{unkToken}' is needed but is not in the vocabulary");
}
