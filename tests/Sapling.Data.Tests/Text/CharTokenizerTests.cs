using System.Text.Json;
using Sapling.Data.Text;

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
            Assert.Contains("$.model.vocab", Assert.Throws<InvalidDataException>(() => Tokenizers.Load(path)).Message);
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
/// A tokenizer.json component or option the pipeline does not implement is refused with the file and the JSON path of
/// the value, never run with a step silently skipped; pipelines that used to be refused now load and give their ids.
/// </summary>
public class TokenizerPipelineRefusalTests
{
    private const string Vocab = "\"model\":{\"type\":\"WordLevel\",\"vocab\":{\"hello\":0,\"world\":1,\"<unk>\":2},\"unk_token\":\"<unk>\"}";

    private static string Write(string json)
    {
        var path = Path.Combine(Path.GetTempPath(), $"sapling-pipeline-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Theory]
    [InlineData("""{"pre_tokenizer":{"type":"UnicodeScripts"},""" + Vocab + "}", "$.pre_tokenizer.type", "UnicodeScripts")]
    [InlineData("""{"pre_tokenizer":{"type":"Split","pattern":{"Regex":"(["},"behavior":"Isolated"},""" + Vocab + "}", "$.pre_tokenizer.pattern.Regex", "([")]
    [InlineData("""{"pre_tokenizer":{"type":"Split","pattern":{"Regex":"\\Gx"},"behavior":"Isolated"},""" + Vocab + "}", "$.pre_tokenizer.pattern.Regex", "\\G")]
    [InlineData("""{"pre_tokenizer":{"type":"Split","pattern":{"Regex":"[[:alpha:]]+"},"behavior":"Isolated"},""" + Vocab + "}", "$.pre_tokenizer.pattern.Regex", "POSIX")]
    [InlineData("""{"pre_tokenizer":{"type":"Split","pattern":{"Regex":"x"},"behavior":"Sideways"},""" + Vocab + "}", "$.pre_tokenizer.behavior", "Sideways")]
    [InlineData("""{"normalizer":{"type":"Sequence","normalizers":[{"type":"NFC"},{"type":"Bogus"}]},""" + Vocab + "}", "$.normalizer.normalizers[1].type", "Bogus")]
    [InlineData("""{"decoder":{"type":"Bogus"},""" + Vocab + "}", "$.decoder.type", "Bogus")]
    [InlineData("""{"truncation":{"max_length":8},""" + Vocab + "}", "$.truncation", "truncat")]
    [InlineData("""{"post_processor":{"type":"Sequence","processors":[{"type":"BertProcessing","sep":["world",1],"cls":["hello",0]},{"type":"BertProcessing","sep":["world",1],"cls":["hello",0]}]},""" + Vocab + "}", "$.post_processor.processors", "more than one")]
    [InlineData("""{"post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<s>","type_id":0}}],"special_tokens":{}},""" + Vocab + "}", "$.post_processor.single[0].SpecialToken.id", "<s>")]
    [InlineData("""{"post_processor":{"type":"BertProcessing","sep":["world",7],"cls":["hello",0]},""" + Vocab + "}", "$.post_processor.sep", "id 7")]
    [InlineData("""{"model":{"type":"Bogus"}}""", "$.model.type", "Bogus")]
    [InlineData("""{"model":{"type":"BPE","dropout":0.1,"vocab":{"a":0},"merges":[]}}""", "$.model.dropout", "dropout")]
    [InlineData("""{"model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":["a c"]}}""", "$.model.merges[0]", "'c'")]
    [InlineData("""{"model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":["a b"]}}""", "$.model.merges[0]", "'ab'")]
    [InlineData("""{"model":{"type":"BPE","vocab":{"a":0,"b":-3},"merges":[]}}""", "$.model.vocab[\"b\"]", "-3")]
    [InlineData("""{"added_tokens":[{"id":0,"content":"<x>","special":true}],""" + Vocab + "}", "$.added_tokens[0].id", "'hello'")]
    [InlineData("""{"model":{"type":"Unigram","vocab":[["a",-1.0],["b","high"]]}}""", "$.model.vocab[1]", "score")]
    [InlineData("""{"normalizer":{"type":"Precompiled","precompiled_charsmap":"AAAA!!"},""" + Vocab + "}", "$.normalizer.precompiled_charsmap", "base64")]
    public void AnUnsupportedOrMalformedComponentIsNamedByItsPath(string json, string path, string detail)
    {
        var file = Write(json);
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => Tokenizers.Load(file));
            Assert.Contains(file, error.Message);
            Assert.Contains(path, error.Message);
            Assert.Contains(detail, error.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void PipelinesThatUsedToBeRefusedNowLoad()
    {
        var file = Write("""{"normalizer":{"type":"Lowercase"},"pre_tokenizer":{"type":"Whitespace"},""" + Vocab + "}");
        try
        {
            var tokenizer = Tokenizers.Load(file);
            Assert.Equal([0, 1, 2], tokenizer.Encode("Hello WORLD again"));
            Assert.Equal("hello world", tokenizer.Decode([0, 1]));
        }
        finally
        {
            File.Delete(file);
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

    [Fact]
    public void AnIdOutsideTheVocabularyIsRefusedByValue()
    {
        var tokenizer = CharTokenizer.Train(["abc"]);
        Assert.Contains("-1", Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.TokenOf(-1)).Message);
        Assert.Contains($"{tokenizer.VocabSize}", Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.TokenOf(tokenizer.VocabSize)).Message);
    }
}
