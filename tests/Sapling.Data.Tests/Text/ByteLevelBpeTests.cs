using System.Text;
using System.Text.Json.Nodes;
using Sapling.Data.Text;

namespace Sapling.Data.Tests.Text;

public class ByteLevelBpeTests
{
    private static string TangPath => Path.GetFullPath(Path.Combine(Testing.Fixtures.Directory, "..", "..", "data", "zh-tang300.txt"));

    private static readonly string English =
        "The quick brown fox jumps over the lazy dog. It's 2024, and they'll say we've done it!\n" +
        "Tokenizers split text into words; the words become bytes, and the bytes merge into tokens.\n";

    private static ByteLevelBpe TrainEnglish(int vocabSize = 400) =>
        ByteLevelBpe.Train(Enumerable.Repeat(English, 20), vocabSize);

    private static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "sapling-bpe-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    [Fact]
    public void ByteMappingIsAPermutationMatchingGpt2()
    {
        var chars = new HashSet<char>();
        for (int b = 0; b < 256; b++) chars.Add(ByteLevel.ToChar((byte)b));
        Assert.Equal(256, chars.Count);
        Assert.Equal('\u0120', ByteLevel.ToChar((byte)' '));  // Ġ
        Assert.Equal('\u010A', ByteLevel.ToChar((byte)'\n')); // Ċ
        Assert.Equal('\u0109', ByteLevel.ToChar((byte)'\t')); // ĉ
        Assert.Equal('\u0100', ByteLevel.ToChar(0));          // Ā
        Assert.Equal('\u0143', ByteLevel.ToChar(0xAD));       // Ń, the soft hyphen, last of the moved bytes
        Assert.Equal('a', ByteLevel.ToChar((byte)'a'));
        Assert.Equal('!', ByteLevel.ToChar((byte)'!'));
        Assert.Equal('\u00FF', ByteLevel.ToChar(0xFF));
        for (int b = 0; b < 256; b++)
        {
            Assert.True(ByteLevel.TryToByte(ByteLevel.ToChar((byte)b), out byte back));
            Assert.Equal(b, back);
        }
        Assert.False(ByteLevel.TryToByte(' ', out _));
        Assert.Equal('!', ByteLevel.Alphabet[0]);
        Assert.Equal("ĠthĊ", ByteLevel.ToByteLevel(" th\n"u8));
    }

    [Fact]
    public void PreTokenizerSplitsLikeGpt2()
    {
        var words = ByteLevel.PreTokenizer.Matches("Hello world's  3 apples!!\n\n").Select(m => m.Value).ToArray();
        Assert.Equal(new[] { "Hello", " world", "'s", " ", " 3", " apples", "!!", "\n\n" }, words);
    }

    [Fact]
    public void TrainingLearnsTheObviousMergesFirst()
    {
        // Words: "ab" x10, " ab" x20, " abab" x10, "cd" x1. Pairs: a b 50, Ġ a 30; then Ġ ab 30; then Ġab ab 10.
        // "c d" occurs once, below minFrequency.
        var docs = Enumerable.Repeat("ab ab ab abab", 10).Append("cd").ToList();
        var bpe = ByteLevelBpe.Train(docs, 1000);
        Assert.Equal(("a", "b"), bpe.Merges[0]);
        Assert.Equal(("Ġ", "ab"), bpe.Merges[1]);
        Assert.Equal(("Ġab", "ab"), bpe.Merges[2]);
        Assert.DoesNotContain(("c", "d"), bpe.Merges);
        Assert.Equal(3, bpe.Merges.Count);
        Assert.Equal(256 + 3 + 1, bpe.VocabSize);
        Assert.Equal(bpe.VocabSize - 1, bpe.EndOfTextId);
        Assert.Equal("ab", bpe.TokenOf(256));
        Assert.Equal(new[] { 256, 257, 258 }, bpe.Encode("ab ab abab"));
        Assert.Equal(new[] { 256, 256 }, bpe.Encode("abab"));
    }

    [Fact]
    public void TiesAreBrokenByThePairsStrings()
    {
        // Pairs a b, x y and Ġ a all occur twice: ordinal order puts "a" first and "Ġ" (U+0120) after "x".
        var bpe = ByteLevelBpe.Train(["xy ab xy ab"], 258, specialTokens: []);
        Assert.Equal(("a", "b"), bpe.Merges[0]);
        Assert.Equal(("x", "y"), bpe.Merges[1]);
        Assert.Equal(258, bpe.VocabSize);
    }

    [Fact]
    public void TrainingStopsAtTheVocabularySize()
    {
        var bpe = TrainEnglish(300);
        Assert.Equal(300, bpe.VocabSize);
        Assert.Equal(43, bpe.Merges.Count);
        Assert.Equal(299, bpe.EndOfTextId);
    }

    [Fact]
    public void RoundTripsEnglishAndCompressesIt()
    {
        var bpe = TrainEnglish();
        var ids = bpe.Encode(English);
        Assert.Equal(English, bpe.Decode(ids));
        Assert.True(ids.Length < Encoding.UTF8.GetByteCount(English) / 3, $"{ids.Length} tokens");
        Assert.Equal("Ġthe", bpe.TokenOf(bpe.Encode(" the")[0]));
    }

    [Fact]
    public void RoundTripsTheTangPoems()
    {
        var docs = TextCorpus.ReadPercentSeparated(TangPath);
        var bpe = ByteLevelBpe.Train(docs, 1000);
        var encoded = bpe.EncodeParallel(docs);
        for (int i = 0; i < docs.Count; i++)
        {
            Assert.Equal(docs[i], bpe.Decode(encoded[i]));
            Assert.Equal(bpe.Encode(docs[i]), encoded[i]);
        }
    }

    [Theory]
    [InlineData("😀🎉 emoji 👩‍👩‍👧 family")]
    [InlineData("tabs\tand\t\ttabs  and   spaces \n\n\n")]
    [InlineData("  leading and trailing  ")]
    [InlineData("\r\n\r\nwindows\r\n")]
    [InlineData("e\u0301 combining \u0300\u0301 marks, \U0002070E astral, \u00A0nbsp\u00AD")]
    [InlineData("床前明月光，疑是地上霜。")]
    [InlineData("")]
    [InlineData("I'M SHOUTING, you're not; 'quoted' 'll 've")]
    public void RoundTripsAnyText(string text)
    {
        var bpe = TrainEnglish();
        Assert.Equal(text, bpe.Decode(bpe.Encode(text)));
    }

    [Fact]
    public void RoundTripsRandomUnicode()
    {
        var bpe = TrainEnglish();
        var random = new Random(7);
        for (int n = 0; n < 200; n++)
        {
            var sb = new StringBuilder();
            int length = random.Next(0, 40);
            while (sb.Length < length)
            {
                int cp = random.Next(4) switch
                {
                    0 => random.Next(0x20, 0x7F),
                    1 => random.Next(0, 0x20),
                    2 => random.Next(0x80, 0xD800),
                    _ => random.Next(0xE000, 0x110000),
                };
                if (cp is >= 0xD800 and <= 0xDFFF) continue;
                sb.Append(char.ConvertFromUtf32(cp));
            }
            var text = sb.ToString();
            Assert.Equal(text, bpe.Decode(bpe.Encode(text)));
        }
    }

    [Fact]
    public void SpecialTokensInTextBecomeTheirIds()
    {
        var bpe = ByteLevelBpe.Train(Enumerable.Repeat(English, 5), 400, specialTokens: [ByteLevelBpe.EndOfText, "<pad>"]);
        int eot = bpe.EndOfTextId;
        Assert.True(bpe.TryGetId("<pad>", out int pad));
        Assert.Equal(bpe.VocabSize - 2, eot);
        Assert.Equal(bpe.VocabSize - 1, pad);

        var text = "the fox<|endoftext|>the dog<pad><pad> end";
        var ids = bpe.Encode(text);
        Assert.Equal(1, ids.Count(i => i == eot));
        Assert.Equal(2, ids.Count(i => i == pad));
        Assert.Equal(text, bpe.Decode(ids));
        Assert.Equal("the foxthe dog end", bpe.Decode(ids, skipSpecial: true));
        Assert.Equal(new[] { eot }, bpe.Encode(ByteLevelBpe.EndOfText));
    }

    [Fact]
    public void DecodingInvalidUtf8GivesReplacementCharacters()
    {
        var bpe = TrainEnglish();
        Assert.True(bpe.TryGetId(ByteLevel.ToChar(0xFF).ToString(), out int ff));
        Assert.True(bpe.TryGetId(ByteLevel.ToChar(0xE4).ToString(), out int lead));
        Assert.True(bpe.TryGetId("a", out int a));
        Assert.Equal(new byte[] { 0xFF, 0xE4, (byte)'a' }, bpe.DecodeBytes([ff, lead, a]));
        Assert.Equal("\uFFFD\uFFFDa", bpe.Decode([ff, lead, a]));

        // Splitting a character's tokens splits its bytes; each half alone is not valid UTF-8.
        var ids = bpe.Encode("世");
        Assert.Equal(3, ids.Length);
        Assert.Contains('\uFFFD', bpe.Decode(ids[..1]));
        Assert.Equal("世", bpe.Decode(ids));
        Assert.Throws<ArgumentOutOfRangeException>(() => bpe.Decode([bpe.VocabSize]));
    }

    [Fact]
    public void SaveThenLoadGivesIdenticalEncodings()
    {
        var bpe = TrainEnglish();
        var dir = TempDir();
        try
        {
            var path = Path.Combine(dir, "tokenizer.json");
            bpe.Save(path);
            var loaded = ByteLevelBpe.Load(path);
            Assert.Equal(bpe.VocabSize, loaded.VocabSize);
            Assert.Equal(bpe.Merges, loaded.Merges);
            Assert.Equal(bpe.SpecialTokens, loaded.SpecialTokens);
            var text = English + "<|endoftext|>unseen wörds 😀";
            Assert.Equal(bpe.Encode(text), loaded.Encode(text));
            Assert.Equal(bpe.ToJson(), loaded.ToJson());

            var root = JsonNode.Parse(File.ReadAllText(path))!;
            Assert.Equal("BPE", root["model"]!["type"]!.GetValue<string>());
            Assert.Equal("ByteLevel", root["pre_tokenizer"]!["type"]!.GetValue<string>());
            Assert.Equal("ByteLevel", root["decoder"]!["type"]!.GetValue<string>());
            Assert.IsType<JsonArray>(root["model"]!["merges"]![0]);
            Assert.True(root["added_tokens"]![0]!["special"]!.GetValue<bool>());
            Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void LoadsTheOlderStringFormOfMerges()
    {
        var bpe = TrainEnglish();
        var dir = TempDir();
        try
        {
            var path = Path.Combine(dir, "tokenizer.json");
            var root = JsonNode.Parse(bpe.ToJson())!;
            var old = new JsonArray();
            foreach (var (l, r) in bpe.Merges) old.Add($"{l} {r}");
            root["model"]!["merges"] = old;
            root["model"]!.AsObject().Remove("type"); // older files leave the model untagged too
            File.WriteAllText(path, root.ToJsonString());
            var loaded = ByteLevelBpe.Load(path);
            Assert.Equal(bpe.Merges, loaded.Merges);
            Assert.Equal(bpe.Encode(English), loaded.Encode(English));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void LoadsGpt2VocabAndMergesFiles()
    {
        var dir = TempDir();
        try
        {
            // The 256 byte tokens in GPT-2's order, three merges, then <|endoftext|> last.
            var vocab = new JsonObject();
            foreach (char c in ByteLevel.Alphabet) vocab[c.ToString()] = vocab.Count;
            foreach (var t in new[] { "Ġt", "he", "Ġthe", ByteLevelBpe.EndOfText }) vocab[t] = vocab.Count;
            var vocabPath = Path.Combine(dir, "vocab.json");
            var mergesPath = Path.Combine(dir, "merges.txt");
            File.WriteAllText(vocabPath, vocab.ToJsonString());
            File.WriteAllText(mergesPath, "#version: 0.2\nĠ t\nh e\nĠt he\n");

            var bpe = ByteLevelBpe.LoadGpt2(vocabPath, mergesPath);
            Assert.Equal(260, bpe.VocabSize);
            Assert.Equal(259, bpe.EndOfTextId);
            Assert.Equal(3, bpe.Merges.Count);
            Assert.Equal(new[] { 258, 258 }, bpe.Encode(" the the"));
            Assert.Equal(new[] { (int)'t' - '!', 257, 258, 259 }, bpe.Encode("the the<|endoftext|>"));
            Assert.Equal("the the<|endoftext|>", bpe.Decode(bpe.Encode("the the<|endoftext|>")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void MalformedFilesNameTheFileAndTheProblem()
    {
        var dir = TempDir();
        try
        {
            var path = Path.Combine(dir, "tokenizer.json");
            File.WriteAllText(path, "{ not json");
            var e = Assert.Throws<InvalidDataException>(() => ByteLevelBpe.Load(path));
            Assert.Contains(path, e.Message);
            Assert.Contains("not valid JSON", e.Message);

            File.WriteAllText(path, """{"model":{"type":"WordPiece","vocab":{}}}""");
            e = Assert.Throws<InvalidDataException>(() => ByteLevelBpe.Load(path));
            Assert.Contains(path, e.Message);
            Assert.Contains("WordPiece", e.Message);

            File.WriteAllText(path, """{"pre_tokenizer":{"type":"ByteLevel"},"model":{"type":"BPE","vocab":{"a":0},"merges":[]}}""");
            e = Assert.Throws<InvalidDataException>(() => ByteLevelBpe.Load(path));
            Assert.Contains(path, e.Message);
            Assert.Contains("byte 0x", e.Message);

            var root = JsonNode.Parse(TrainEnglish().ToJson())!;
            root["model"]!["merges"]!.AsArray().Add(42);
            File.WriteAllText(path, root.ToJsonString());
            e = Assert.Throws<InvalidDataException>(() => ByteLevelBpe.Load(path));
            Assert.Contains(path, e.Message);
            Assert.Contains("merge #", e.Message);

            root = JsonNode.Parse(TrainEnglish().ToJson())!;
            root["model"]!["vocab"]!["Ġthe"] = "seven";
            File.WriteAllText(path, root.ToJsonString());
            e = Assert.Throws<InvalidDataException>(() => ByteLevelBpe.Load(path));
            Assert.Contains("Ġthe", e.Message);

            Assert.Throws<FileNotFoundException>(() => ByteLevelBpe.Load(Path.Combine(dir, "missing.json")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void HeapMergingAgreesWithGpt2sScanOnAnyWord()
    {
        var bpe = ByteLevelBpe.Train(Enumerable.Repeat(English, 20).Append("aaaaaaaa abababab"), 600);
        var random = new Random(3);
        var samples = new List<string> { new('a', 301), "abababababababababababababa", English.Replace(" ", "") };
        for (int i = 0; i < 300; i++)
        {
            var chars = new char[random.Next(1, 120)];
            for (int j = 0; j < chars.Length; j++)
                chars[j] = random.Next(3) == 0 ? English[random.Next(English.Length)] : "abeht"[random.Next(5)];
            samples.Add(new string(chars));
        }
        foreach (var word in samples)
        {
            var bytes = Encoding.UTF8.GetBytes(word);
            var symbols = bytes.Select(b => { bpe.TryGetId(ByteLevel.ToChar(b).ToString(), out int id); return id; }).ToArray();
            Assert.Equal(bpe.MergeByScan((int[])symbols.Clone()), bpe.MergeByHeap((int[])symbols.Clone()));
        }
    }

    [Fact]
    public void LongWordsEncodeQuicklyAndLosslessly()
    {
        var bpe = TrainEnglish();
        // One 300k-letter word and one 200k-space word: the quadratic scan would take minutes on these.
        var text = string.Concat(Enumerable.Repeat("the", 100_000)) + new string(' ', 200_000) + "x";
        var ids = bpe.Encode(text);
        Assert.Equal(text, bpe.Decode(ids));
        Assert.True(ids.Length < text.Length, $"{ids.Length} tokens");
    }

    [Fact]
    public void RejectsImpossibleTrainingArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ByteLevelBpe.Train(["a"], 256));
        Assert.Throws<ArgumentException>(() => ByteLevelBpe.Train(["a"], 300, specialTokens: ["x", "x"]));
    }

    [Fact]
    public void AnIdOutsideTheVocabularyIsRefusedByValue()
    {
        var tokenizer = TrainEnglish();
        Assert.Contains($"{tokenizer.VocabSize}", Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.TokenOf(tokenizer.VocabSize)).Message);
    }
}
