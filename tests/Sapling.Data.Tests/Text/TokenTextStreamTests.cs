using Sapling.Data.Text;

namespace Sapling.Data.Tests.Text;

public class TokenTextStreamTests
{
    [Fact]
    public void CharactersSplitAcrossByteTokensPrintWholeOnceComplete()
    {
        // English-only training leaves Chinese and emoji as one token per byte.
        var bpe = ByteLevelBpe.Train(["the cat sat on the mat"], 300);
        const string text = "猫 sat 🐈!";
        var ids = bpe.Encode(text);
        Assert.True(ids.Length > text.Length, "the test needs characters spread over several tokens");
        var stream = new TokenTextStream(bpe);
        var pieces = ids.Select(stream.Push).ToList();
        pieces.Add(stream.Flush());
        Assert.Equal(text, string.Concat(pieces));
        Assert.DoesNotContain(pieces, p => p.Contains('\uFFFD'));
        Assert.Equal("", pieces[0]); // the first byte of 猫 alone is not yet a character
        Assert.Equal("猫", pieces[2]);
    }

    [Fact]
    public void AnUnfinishedCharacterAtTheEndBecomesReplacement()
    {
        var bpe = ByteLevelBpe.Train(["abc"], 260);
        var stream = new TokenTextStream(bpe);
        var ids = bpe.Encode("猫");
        Assert.Equal("", stream.Push(ids[0]));
        Assert.Equal("\uFFFD", stream.Flush());
    }

    [Fact]
    public void SpecialTokensAreLeftOutUnlessAsked()
    {
        var bpe = ByteLevelBpe.Train(["abc"], 260);
        int end = bpe.EndOfTextId;
        Assert.Equal("", new TokenTextStream(bpe).Push(end));
        Assert.Equal(ByteLevelBpe.EndOfText, new TokenTextStream(bpe, skipSpecial: false).Push(end));
    }
}
