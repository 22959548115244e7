using System.Text.Json;
using Sapling.Data.Text;
using Sapling.Testing;

namespace Sapling.Data.Tests.Text;

/// <summary>
/// SentencePiece model files against the sentencepiece library that wrote them (tests/fixtures/make_sentencepiece_fixtures.py,
/// Debian python3-sentencepiece; special tokens typed in the text matched whole first, as transformers does): a Unigram model with the nmt_nfkc character map and a BPE model with byte fallback
/// give the library's ids for texts at the edges (runs of spaces, tabs, full-width letters, uncovered characters), and
/// decode them back as it does; a Marian folder (source.spm, target.spm, vocab.json) gives MarianTokenizer's ids for
/// sources and targets and its decoded text; broken files are refused naming the file.
/// </summary>
public sealed class SentencePieceModelTests : IDisposable
{
    private static readonly string Here = Path.Combine(Fixtures.Directory, "sentencepiece");
    private readonly string scratch = Directory.CreateTempSubdirectory("sapling-spm-").FullName;

    public void Dispose() => Directory.Delete(scratch, recursive: true);

    private static JsonElement Expected(out JsonDocument doc)
    {
        doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Here, "expected.json")));
        return doc.RootElement;
    }

    private static int[][] Rows(JsonElement e) => e.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();

    [Theory]
    [InlineData("unigram.model")]
    [InlineData("bpe.model")]
    public void IdsAndDecodingMatchSentencePiece(string file)
    {
        var root = Expected(out var doc);
        using var _ = doc;
        var texts = root.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
        var reference = root.GetProperty(file);
        var model = SentencePieceModel.Read(Path.Combine(Here, file));
        Assert.Equal(reference.GetProperty("vocab_size").GetInt32(), model.Pieces.Length);
        var tokenizer = model.ToTokenizer(file);
        // Every path that takes a tokenizer file (data.tokenizer, `sapling tokenizer encode`) reads the .model too.
        Assert.Equal(tokenizer.Encode(string.Concat(root.GetProperty("texts").EnumerateArray().Select(t => t.GetString()))),
            Tokenizers.Load(Path.Combine(Here, file)).Encode(string.Concat(root.GetProperty("texts").EnumerateArray().Select(t => t.GetString()))));
        var ids = Rows(reference.GetProperty("ids"));
        var decoded = reference.GetProperty("decoded").EnumerateArray().Select(t => t.GetString()!).ToArray();
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.True(ids[i].SequenceEqual(tokenizer.Encode(texts[i])), $"{file} '{texts[i]}': expected [{string.Join(", ", ids[i])}], got [{string.Join(", ", tokenizer.Encode(texts[i]))}]");
            // sentencepiece writes an unknown piece as " ⁇ " and control pieces as nothing; Hugging Face's layout writes
            // the pieces' own text unless asked to skip special tokens.
            if (ids[i].All(id => model.Types[id] is GgufVocabulary.TokenType.Normal or GgufVocabulary.TokenType.Byte)) Assert.Equal(decoded[i], tokenizer.Decode(ids[i]));
        }
    }

    [Fact]
    public void MarianFolderEncodesAndDecodesAsMarianTokenizer()
    {
        var root = Expected(out var doc);
        using var _ = doc;
        var marian = root.GetProperty("marian");
        var texts = marian.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
        var sources = Rows(marian.GetProperty("source_ids"));
        var targets = Rows(marian.GetProperty("target_ids"));
        var decoded = marian.GetProperty("decoded_targets").EnumerateArray().Select(t => t.GetString()!).ToArray();
        var tokenizer = MarianTokenizer.Load(Path.Combine(Here, "marian"));
        void Check(MarianTokenizer t)
        {
            for (int i = 0; i < texts.Length; i++)
            {
                Assert.Equal(sources[i], t.Encode(texts[i], addSpecialTokens: true));
                Assert.Equal(targets[i], t.EncodeTarget(texts[i], addSpecialTokens: true));
                Assert.Equal(decoded[i], t.Decode(targets[i], skipSpecial: true));
            }
        }
        Check(tokenizer);
        Assert.Equal(0, tokenizer.EndOfTextId);
        Assert.Equal(tokenizer.VocabSize - 1, tokenizer.IdOf("<pad>"));
        Assert.Equal("Hello world.</s>", tokenizer.Decode(tokenizer.EncodeTarget("Hello world.", addSpecialTokens: true)));

        // Saved beside a folder's tokenizer.json path: the three files, read back the same.
        tokenizer.Save(Path.Combine(scratch, "tokenizer.json"));
        Assert.False(File.Exists(Path.Combine(scratch, "tokenizer.json")));
        Assert.True(MarianTokenizer.IsIn(scratch));
        Check(MarianTokenizer.Load(scratch));
        Assert.Throws<NotSupportedException>(() => tokenizer.WithSpecialTokens(["<extra>"]));
    }

    [Fact]
    public void BrokenFilesAreRefusedByName()
    {
        var bytes = File.ReadAllBytes(Path.Combine(Here, "bpe.model"));
        var cut = Path.Combine(scratch, "cut.model");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        Assert.Contains("cut.model", Assert.Throws<InvalidDataException>(() => SentencePieceModel.Read(cut)).Message);
        var noise = Path.Combine(scratch, "noise.model");
        File.WriteAllBytes(noise, Enumerable.Range(0, 4096).Select(i => (byte)(i * 37 % 251)).ToArray());
        Assert.Contains("noise.model", Assert.Throws<InvalidDataException>(() => SentencePieceModel.Read(noise)).Message);
        var empty = Path.Combine(scratch, "empty.model");
        File.WriteAllBytes(empty, []);
        Assert.Contains("no pieces", Assert.Throws<InvalidDataException>(() => SentencePieceModel.Read(empty)).Message);

        // A Marian vocabulary without </s>.
        var folder = Path.Combine(scratch, "marian");
        Directory.CreateDirectory(folder);
        foreach (var name in new[] { MarianTokenizer.SourceFile, MarianTokenizer.TargetFile }) File.Copy(Path.Combine(Here, "marian", name), Path.Combine(folder, name));
        File.WriteAllText(Path.Combine(folder, MarianTokenizer.VocabFile), "{\"<unk>\": 0, \"<pad>\": 1, \"▁a\": 2}");
        var e = Assert.Throws<InvalidDataException>(() => MarianTokenizer.Load(folder));
        Assert.Contains("vocab.json", e.Message);
        Assert.Contains("</s>", e.Message);
        File.WriteAllText(Path.Combine(folder, MarianTokenizer.VocabFile), "[1, 2]");
        Assert.Contains("vocab.json", Assert.Throws<InvalidDataException>(() => MarianTokenizer.Load(folder)).Message);
    }
}
