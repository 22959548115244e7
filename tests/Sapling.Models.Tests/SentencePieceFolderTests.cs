using Sapling.Data.Text;
using Sapling.Testing;

namespace Sapling.Models.Tests;

/// <summary>
/// Model folders that ship a SentencePiece file instead of tokenizer.json: a T5 folder's spiece.model gets &lt;/s&gt;
/// appended and T5Tokenizer's 100 sentinels after the pieces (&lt;extra_id_0&gt; last, matched whole in text); a Llama
/// folder's tokenizer.model starts with &lt;s&gt;; tokenizer_config.json's add_bos_token, add_eos_token and extra_ids
/// override those defaults.
/// </summary>
public sealed class SentencePieceFolderTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-spm-folder-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string Folder(string name, string modelType, string file, string? tokenizerConfig = null)
    {
        var dir = Path.Combine(root, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), $"{{\"model_type\": \"{modelType}\"}}");
        File.Copy(Path.Combine(Fixtures.Directory, "sentencepiece", "unigram.model"), Path.Combine(dir, file));
        if (tokenizerConfig != null) File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), tokenizerConfig);
        return dir;
    }

    [Fact]
    public void T5FolderAppendsEosAndHasTheSentinels()
    {
        var pieces = SentencePieceModel.Read(Path.Combine(Fixtures.Directory, "sentencepiece", "unigram.model")).Pieces.Length;
        var tokenizer = ModelRegistry.LoadTokenizer(Folder("t5", "t5", "spiece.model"))!;
        Assert.Equal(pieces + 100, tokenizer.VocabSize);
        Assert.Equal(tokenizer.VocabSize - 1, tokenizer.IdOf("<extra_id_0>"));
        Assert.Equal(pieces, tokenizer.IdOf("<extra_id_99>"));
        var plain = tokenizer.Encode("Hello world.");
        Assert.Equal([.. plain, tokenizer.EndOfTextId], tokenizer.Encode("Hello world.", addSpecialTokens: true));
        var masked = tokenizer.Encode("Hello <extra_id_0> world.");
        Assert.Contains(tokenizer.IdOf("<extra_id_0>"), masked);
        Assert.Equal("<extra_id_0>", tokenizer.Decode([tokenizer.IdOf("<extra_id_0>")]));

        var fewer = ModelRegistry.LoadTokenizer(Folder("t5-10", "t5", "spiece.model", "{\"extra_ids\": 10}"))!;
        Assert.Equal(pieces + 10, fewer.VocabSize);
    }

    [Fact]
    public void LlamaFolderStartsWithBosUnlessItsConfigSaysNot()
    {
        var tokenizer = ModelRegistry.LoadTokenizer(Folder("llama", "llama", "tokenizer.model"))!;
        var ids = tokenizer.Encode("Hello world.", addSpecialTokens: true);
        Assert.Equal(tokenizer.IdOf("<s>"), ids[0]);
        Assert.Equal(tokenizer.Encode("Hello world."), ids[1..]);
        var without = ModelRegistry.LoadTokenizer(Folder("llama-no-bos", "llama", "tokenizer.model", "{\"add_bos_token\": false}"))!;
        Assert.Equal(tokenizer.Encode("Hello world."), without.Encode("Hello world.", addSpecialTokens: true));
    }

    [Fact]
    public void AFolderWithoutAnyTokenizerIsRefusedNamingWhatWasLookedFor()
    {
        var dir = Path.Combine(root, "bare");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), "{\"model_type\": \"marian\"}");
        Assert.Null(ModelRegistry.LoadTokenizer(dir));
        var e = Assert.Throws<FileNotFoundException>(() => ModelRegistry.RequireTokenizer(dir, "to read the sources with"));
        foreach (var name in new[] { dir, "tokenizer.json", "spiece.model", "source.spm", "to read the sources with" }) Assert.Contains(name, e.Message);
    }
}
