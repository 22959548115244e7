using System.Text.Json;
using Sapling.Text;

namespace Sapling.Data.Tests.Text;

public class CharTokenizerTests
{
    private static string TangPath => Path.GetFullPath(Path.Combine(Testing.Fixtures.Directory, "..", "..", "data", "zh-tang300.txt"));

    [Fact]
    public void RoundTripsTheEmbeddedPoemsExactly()
    {
        var docs = TextCorpus.ReadPercentSeparated(TangPath);
        Assert.Equal(313, docs.Count);
        var tokenizer = CharTokenizer.Train(docs);
        foreach (var doc in docs) Assert.Equal(doc, tokenizer.Decode(tokenizer.Encode(doc)));
        Assert.Equal(0, tokenizer.EndOfTextId);
        Assert.Equal(1, tokenizer.UnknownId);
    }

    [Fact]
    public void RoundTripsAnyTextItWasTrainedOnIncludingEmojiAndAstralCharacters()
    {
        var text = "héllo 世界 😀 \U0002070E\n\ttab";
        var tokenizer = CharTokenizer.Train([text]);
        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
        Assert.Equal(text.EnumerateRunes().Count(), tokenizer.Encode(text).Length);
        Assert.Equal(new[] { tokenizer.UnknownId }, tokenizer.Encode("Ω"));
    }

    [Fact]
    public void IdsFollowFrequencyThenCodePoint()
    {
        var tokenizer = CharTokenizer.Train(["bbbaac"]);
        Assert.Equal("b", tokenizer.TokenOf(2));
        Assert.Equal("a", tokenizer.TokenOf(3));
        Assert.Equal("c", tokenizer.TokenOf(4));
    }

    [Fact]
    public void TokenizerJsonFollowsTheHuggingFaceSchemaAndLoadsBack()
    {
        var tokenizer = CharTokenizer.Train(["春眠不觉晓，处处闻啼鸟。"]);
        var path = Path.Combine(Path.GetTempPath(), $"sapling-tok-{Guid.NewGuid():N}.json");
        try
        {
            tokenizer.Save(path);
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            Assert.Equal("1.0", root.GetProperty("version").GetString());
            Assert.Equal("WordLevel", root.GetProperty("model").GetProperty("type").GetString());
            Assert.Equal("<unk>", root.GetProperty("model").GetProperty("unk_token").GetString());
            Assert.Equal(tokenizer.VocabSize, root.GetProperty("model").GetProperty("vocab").EnumerateObject().Count());
            Assert.Equal(2, root.GetProperty("model").GetProperty("vocab").GetProperty(tokenizer.TokenOf(2)).GetInt32());
            var added = root.GetProperty("added_tokens").EnumerateArray().ToList();
            Assert.Contains(added, t => t.GetProperty("content").GetString() == "<|endoftext|>" && t.GetProperty("special").GetBoolean() && t.GetProperty("id").GetInt32() == 0);
            Assert.Equal("Split", root.GetProperty("pre_tokenizer").GetProperty("type").GetString());
            Assert.Equal("Fuse", root.GetProperty("decoder").GetProperty("type").GetString());
            var loaded = CharTokenizer.Load(path);
            Assert.Equal(tokenizer.Encode("处处闻啼鸟"), loaded.Encode("处处闻啼鸟"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void BadTokenizerFilesAreExplained()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sapling-tok-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(path, "{\"model\": {\"type\": \"BPE\", \"vocab\": {}}}");
            Assert.Contains("BPE", Assert.Throws<InvalidDataException>(() => CharTokenizer.Load(path)).Message);
            File.WriteAllText(path, "not json");
            Assert.Contains(path, Assert.Throws<InvalidDataException>(() => CharTokenizer.Load(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

public class TokenizerLoadingTests
{
    [Fact]
    public void LoadPicksTheModelTypeAndExplainsUnknownOnes()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sapling-tok-{Guid.NewGuid():N}.json");
        try
        {
            CharTokenizer.Train(["abc"]).Save(path);
            Assert.IsType<CharTokenizer>(Tokenizers.Load(path));
            ByteLevelBpe.Train(["the cat sat on the mat", "the hat"], 270, 1).Save(path);
            var bpe = Tokenizers.Load(path);
            Assert.IsType<ByteLevelBpe>(bpe);
            Assert.Equal("the hat sat", bpe.Decode(bpe.Encode("the hat sat")));
            File.WriteAllText(path, "{\"model\": {\"type\": \"Unigram\"}}");
            Assert.Contains("Unigram", Assert.Throws<InvalidDataException>(() => Tokenizers.Load(path)).Message);
            File.WriteAllText(path, "{}");
            Assert.Contains("model.type", Assert.Throws<InvalidDataException>(() => Tokenizers.Load(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

/// <summary>
/// Pipelines Sapling's tokenizers would not follow are refused by name, never run with a step silently skipped
/// (a WordLevel model behind a Whitespace pre-tokenizer used to encode "hello world" as eleven unknown tokens).
/// </summary>
public class TokenizerPipelineRefusalTests
{
    private static string Write(string json)
    {
        var path = Path.Combine(Path.GetTempPath(), $"sapling-pipeline-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Theory]
    [InlineData("""{"pre_tokenizer":{"type":"Whitespace"},"model":{"type":"WordLevel","vocab":{"hello":0,"world":1,"<|endoftext|>":2,"<unk>":3},"unk_token":"<unk>"}}""", "Whitespace")]
    [InlineData("""{"pre_tokenizer":{"type":"Split","pattern":{"Regex":"(["},"behavior":"Isolated"},"model":{"type":"WordLevel","vocab":{"<|endoftext|>":0,"<unk>":1}}}""", "Split")]
    [InlineData("""{"normalizer":{"type":"Lowercase"},"pre_tokenizer":{"type":"ByteLevel"},"model":{"type":"BPE","vocab":{},"merges":[]}}""", "Lowercase")]
    [InlineData("""{"pre_tokenizer":{"type":"Sequence","pretokenizers":[{"type":"Split"},{"type":"ByteLevel","use_regex":false}]},"model":{"type":"BPE","vocab":{},"merges":[]}}""", "Sequence[Split, ByteLevel]")]
    [InlineData("""{"pre_tokenizer":{"type":"ByteLevel"},"post_processor":{"type":"TemplateProcessing"},"model":{"type":"BPE","vocab":{},"merges":[]}}""", "TemplateProcessing")]
    [InlineData("""{"pre_tokenizer":{"type":"ByteLevel"},"model":{"type":"BPE","byte_fallback":true,"vocab":{},"merges":[]}}""", "byte_fallback")]
    public void AnUnsupportedComponentIsNamed(string json, string component)
    {
        var path = Write(json);
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => Tokenizers.Load(path));
            Assert.Contains(path, error.Message);
            Assert.Contains(component, error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("""{"model":null}""")]
    [InlineData("""[1, 2]""")]
    [InlineData("""{"model":{"type":7}}""")]
    public void AMalformedDocumentNamesTheFile(string json)
    {
        var path = Write(json);
        try
        {
            Assert.Contains(path, Assert.Throws<InvalidDataException>(() => Tokenizers.Load(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
