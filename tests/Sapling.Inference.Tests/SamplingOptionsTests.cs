namespace Sapling.Inference.Tests;

/// <summary>Sampling settings out of range, NaN and infinity included, are refused by name before any token is drawn.</summary>
public class SamplingOptionsTests
{
    [Theory]
    [InlineData(float.NaN, 1f, 1f, "temperature")]
    [InlineData(float.PositiveInfinity, 1f, 1f, "temperature")]
    [InlineData(-1f, 1f, 1f, "temperature")]
    [InlineData(1f, float.NaN, 1f, "top-p")]
    [InlineData(1f, 0f, 1f, "top-p")]
    [InlineData(1f, 1f, float.NaN, "repetition penalty")]
    [InlineData(1f, 1f, float.PositiveInfinity, "repetition penalty")]
    [InlineData(1f, 1f, 0f, "repetition penalty")]
    public void BadSettingsAreRefusedByName(float temperature, float topP, float penalty, string named)
    {
        var options = new SamplingOptions { Temperature = temperature, TopP = topP, RepetitionPenalty = penalty };
        Assert.Contains(named, Assert.Throws<ArgumentOutOfRangeException>(options.Validate).Message);
    }

    [Fact]
    public void TheDefaultsAreAccepted() => new SamplingOptions().Validate();
}
