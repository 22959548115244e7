using Sapling.Inference;

namespace Sapling.Serving.Tests;

public sealed class StopMatcherTests
{
    [Fact]
    public void TextThatMightStartAStopStringWaits()
    {
        var m = new StopMatcher(["END"]);
        Assert.Equal("ab", m.Push("ab"));
        Assert.Equal("", m.Push("E"));
        Assert.Equal("", m.Push("N"));
        Assert.Equal("ENx", m.Push("x"));
        Assert.False(m.Stopped);
    }

    [Fact]
    public void AStopStringSplitAcrossPiecesCutsBeforeIt()
    {
        var m = new StopMatcher(["\n\n", "END"]);
        Assert.Equal("one", m.Push("one\n"));
        Assert.Equal("", m.Push("\ntwo"));
        Assert.True(m.Stopped);
        Assert.Equal("", m.Push("more"));
        Assert.Equal("", m.Flush());
    }

    [Fact]
    public void TheEarliestStopWins()
    {
        var m = new StopMatcher(["cd", "b"]);
        Assert.Equal("a", m.Push("abcd"));
        Assert.True(m.Stopped);
    }

    [Fact]
    public void FlushReturnsWhatWasHeldBack()
    {
        var m = new StopMatcher(["xyz"]);
        Assert.Equal("a", m.Push("axy"));
        Assert.Equal("xy", m.Flush());
        Assert.Equal("plain", new StopMatcher([]).Push("plain"));
    }
}
