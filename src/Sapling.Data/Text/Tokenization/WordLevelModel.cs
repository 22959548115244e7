using Sapling.Data.Json;
namespace Sapling.Data.Text.Tokenization;

/// <summary>A plain word → id table; words not in it are the unknown token.</summary>
internal sealed class WordLevelModel : TokenizerModel
{
    private readonly string source;
    private readonly Dictionary<string, int> ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> idLookup;
    private readonly string?[] tokens;
    private readonly string? unkToken;

    private WordLevelModel(JsonSection s)
    {
        source = s.File;
        (ids, tokens) = ReadVocabulary(s);
        idLookup = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        unkToken = s.OptionalString("unk_token");
    }

    public static WordLevelModel FromJson(JsonSection s) => new(s);

    public override int IdLimit => tokens.Length;

    public override bool TryGetId(string token, out int id) => ids.TryGetValue(token, out id);

    public override string? TokenOf(int id) => (uint)id < (uint)tokens.Length ? tokens[id] : null;

    public override void Tokenize(ReadOnlySpan<char> word, List<int> output)
    {
        if (idLookup.TryGetValue(word, out int id)) output.Add(id);
        else if (unkToken != null && ids.TryGetValue(unkToken, out int unk)) output.Add(unk);
        else throw new InvalidDataException($"{source}: $.model: WordLevel: '{word}' is not in the vocabulary and the unknown token {(unkToken == null ? "is not set" : $"'{unkToken}' is not in it either")}");
    }
}
