using Sapling.Training.Evaluation;

namespace Sapling.Training.Tests.Evaluation;

public class GenerationTokenizerTests
{
    [Theory]
    [MemberData(nameof(GenerationMetricFixtures.Names), MemberType = typeof(GenerationMetricFixtures))]
    public void TokensMatchTheFixtureScript(string name)
    {
        var c = GenerationMetricFixtures.Case(name);
        for (int i = 0; i < c.Hypotheses.Length; i++)
        {
            Assert.Equal(c.HypothesisTokens[i], GenerationTokenizer.Tokenize(c.Hypotheses[i], c.Tokenize));
            for (int j = 0; j < c.References[i].Length; j++)
                Assert.Equal(c.ReferenceTokens[i][j], GenerationTokenizer.Tokenize(c.References[i][j], c.Tokenize));
        }
    }

    [Fact]
    public void AutoSplitsCjkCharactersAndKeepsLatinWordsWhole()
    {
        Assert.Equal(["我", "爱", "GPT-2", "模", "型", "。", "ok"], GenerationTokenizer.Tokenize("我爱GPT-2模型。 ok", TokenizeMode.Auto));
        Assert.Equal(["저", "는", "학", "생"], GenerationTokenizer.Tokenize("저는 학생", TokenizeMode.Auto));
        Assert.Equal(["the", "cat"], GenerationTokenizer.Tokenize("  the\tcat \n", TokenizeMode.Auto));
    }

    [Fact]
    public void CharSplitsEveryCharacterAndWhitespaceSplitsOnlyOnSpaces()
    {
        Assert.Equal(["a", "b", "c"], GenerationTokenizer.Tokenize("ab c", TokenizeMode.Char));
        Assert.Equal(["我爱北京"], GenerationTokenizer.Tokenize("我爱北京", TokenizeMode.Whitespace));
    }

    [Fact]
    public void CharactersOutsideTheBasicPlaneAreOneToken()
    {
        // U+20BB7 is a CJK Extension B character: two UTF-16 units, one code point.
        Assert.Equal(["𠮷", "野"], GenerationTokenizer.Tokenize("𠮷野", TokenizeMode.Auto));
    }

    [Fact]
    public void UnknownModeIsAClearError()
    {
        var e = Assert.Throws<ArgumentException>(() => GenerationTokenizer.ParseMode("words"));
        Assert.Contains("auto, char or whitespace", e.Message);
    }
}
