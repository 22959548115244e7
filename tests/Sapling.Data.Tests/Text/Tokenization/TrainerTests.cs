using Sapling.Data.Text.Tokenization;

namespace Sapling.Data.Tests.Text.Tokenization;

/// <summary>
/// The WordPiece and Unigram trainers write tokenizer.json files that Hugging Face's Rust library loads and encodes
/// exactly as Sapling does, and their vocabularies are real subword vocabularies (frequent words whole, the rest in
/// pieces, every character of the corpus covered).
/// </summary>
public sealed class TrainerTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("sapling-trainers-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    // Trained on what every checkout has (the fixture texts and the Tang poems), so sizes do not depend on the
    // machine; compared with the Rust library on the larger corpus where the shared datasets exist.
    private static List<string> TrainingCorpus() => TokenizerOracle.Corpus(0);

    [Fact]
    public void WordPieceVocabularyLoadsInTheRustLibraryAndSplitsWordsIntoPieces()
    {
        var corpus = TrainingCorpus();
        var tokenizer = WordPieceTrainer.Train(corpus, new WordPieceTrainerOptions { VocabSize = 2800, ExtraSpecialTokens = ["<extra>"] });
        Assert.Equal(2800, tokenizer.VocabSize);
        Assert.Equal([0, 1, 2, 3, 4, 5], new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "<extra>" }.Select(tokenizer.IdOf));
        var path = Path.Combine(dir, "wordpiece.json");
        tokenizer.Save(path);
        TokenizerOracle.AssertSameAsRust(path, PipelineTokenizer.Load(path), TokenizerOracle.Corpus(800));

        Assert.True(tokenizer.IdOf("the") >= 0);
        Assert.Contains(Enumerable.Range(0, tokenizer.VocabSize).Select(tokenizer.TokenOf), t => t!.StartsWith("##", StringComparison.Ordinal) && t.Length > 3);
        var ids = tokenizer.Encode("The quick brown fox <extra> jumps.");
        Assert.DoesNotContain(tokenizer.IdOf("[UNK]"), ids);
        Assert.Contains(5, ids);
        Assert.Equal("the quick brown fox <extra> jumps.", tokenizer.Decode(ids));
    }

    [Fact]
    public void UnigramVocabularyLoadsInTheRustLibraryAndCoversEveryCharacter()
    {
        var corpus = TrainingCorpus();
        var tokenizer = UnigramTrainer.Train(corpus, new UnigramTrainerOptions { VocabSize = 4000 });
        Assert.Equal(4000, tokenizer.VocabSize);
        var path = Path.Combine(dir, "unigram.json");
        tokenizer.Save(path);
        TokenizerOracle.AssertSameAsRust(path, PipelineTokenizer.Load(path), TokenizerOracle.Corpus(800));

        int unk = tokenizer.IdOf("<unk>");
        long characters = 0, tokens = 0;
        foreach (var text in corpus)
        {
            var ids = tokenizer.Encode(text);
            // "<unk>" typed in the text is the piece itself, as in Hugging Face's Unigram.
            if (!text.Contains("<unk>")) Assert.DoesNotContain(unk, ids);
            tokens += ids.Length;
            characters += text.Length;
        }
        // A subword vocabulary, not a character one: under one token per character even on Chinese verse, where most
        // words are single characters.
        Assert.InRange((double)tokens / characters, 0.1, 0.85);
        Assert.True(tokenizer.IdOf("\u2581the") >= 0);
        Assert.Equal(tokenizer.IdOf("</s>"), tokenizer.Encode("hello", addSpecialTokens: true)[^1]);
        Assert.Equal("The quick brown fox.", tokenizer.Decode(tokenizer.Encode("The quick brown fox.")));
    }

    [Fact]
    public void ASmallCorpusGivesASmallerVocabularyRatherThanAnError()
    {
        var tokenizer = UnigramTrainer.Train(TokenizerOracle.FixtureTexts.Take(5), new UnigramTrainerOptions { VocabSize = 5000 });
        Assert.InRange(tokenizer.VocabSize, 10, 4999);
    }

    [Fact]
    public void UnigramByteFallbackSpellsUnseenCharactersInBytes()
    {
        var tokenizer = UnigramTrainer.Train(TokenizerOracle.FixtureTexts, new UnigramTrainerOptions { VocabSize = 600, ByteFallback = true });
        var path = Path.Combine(dir, "bytes.json");
        tokenizer.Save(path);
        var unseen = "\u0B85\u0B86 Ꙋ";
        TokenizerOracle.AssertSameAsRust(path, PipelineTokenizer.Load(path), [unseen, .. TokenizerOracle.FixtureTexts]);
        Assert.Contains(tokenizer.IdOf("<0xE0>"), tokenizer.Encode(unseen));
    }

    [Fact]
    public void UnigramLeavesOutTheRarestCharactersWhenTheyDoNotFit()
    {
        var tokenizer = UnigramTrainer.Train(TokenizerOracle.FixtureTexts, new UnigramTrainerOptions { VocabSize = 300 });
        Assert.Equal(300, tokenizer.VocabSize);
        Assert.Contains(tokenizer.IdOf("<unk>"), tokenizer.Encode("𠀁"));
        Assert.DoesNotContain(tokenizer.IdOf("<unk>"), tokenizer.Encode("the end"));
    }

    [Fact]
    public void TrainerSettingsAreChecked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => WordPieceTrainer.Train(["a"], new WordPieceTrainerOptions { VocabSize = 3 }));
        Assert.Contains("alphabet", Assert.Throws<ArgumentException>(() => WordPieceTrainer.Train(TokenizerOracle.FixtureTexts, new WordPieceTrainerOptions { VocabSize = 20 })).Message);
        Assert.Throws<ArgumentException>(() => UnigramTrainer.Train(["a"], new UnigramTrainerOptions { UnkToken = "<nope>" }));
        Assert.Throws<ArgumentOutOfRangeException>(() => UnigramTrainer.Train(["a"], new UnigramTrainerOptions { ShrinkingFactor = 1.5 }));
    }

    [Fact]
    public void DigammaMatchesKnownValues()
    {
        Assert.Equal(-0.5772156649015329, UnigramTrainer.Digamma(1), 9);
        Assert.Equal(1.2561176684318005, UnigramTrainer.Digamma(4), 9); // ψ(4) = 1 + 1/2 + 1/3 − γ
        Assert.Equal(Math.Log(1000) - 1 / 2000.0 - 1 / 12e6, UnigramTrainer.Digamma(1000), 9); // ln x − 1/2x − 1/12x² + …
    }
}

/// <summary>Scores are read as the Rust library reads JSON numbers: exact for short decimals, within one ulp for long ones.</summary>
public sealed class RustJsonNumberTests
{
    [Theory]
    [InlineData("-10.5", -10.5)]
    [InlineData("0", 0.0)]
    [InlineData("-3.25e2", -325.0)]
    [InlineData("1E-3", 0.001)]
    [InlineData("123456", 123456.0)]
    public void ShortNumbersAreExact(string text, double expected)
    {
        Assert.True(RustJsonNumber.TryParse(text, out double value));
        Assert.Equal(expected, value);
    }

    [Fact]
    public void LongNumbersAreWithinOneUlpAndSomeDiffer()
    {
        var random = new Random(3);
        int differ = 0;
        for (int i = 0; i < 2000; i++)
        {
            double x = -(float)(random.NextDouble() * 20);
            string text = x.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(RustJsonNumber.TryParse(text, out double value));
            long ulps = Math.Abs(BitConverter.DoubleToInt64Bits(value) - BitConverter.DoubleToInt64Bits(x));
            Assert.True(ulps <= 1, $"{text}: {ulps} ulps");
            if (ulps == 1) differ++;
        }
        Assert.True(differ > 0, "17-digit numbers should sometimes round differently from a correctly rounded parse");
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("1.")]
    [InlineData("1e")]
    [InlineData("0x10")]
    [InlineData("1e999")]
    public void NonNumbersAreRefused(string text) => Assert.False(RustJsonNumber.TryParse(text, out _));
}
