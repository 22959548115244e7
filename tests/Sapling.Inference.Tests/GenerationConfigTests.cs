namespace Sapling.Inference.Tests;

/// <summary>generation_config.json fills the sampling settings the caller left at their defaults.</summary>
public sealed class GenerationConfigTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("sapling-genconfig-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    [Fact]
    public void UnsetSettingsTakeTheFoldersValuesAndGivenOnesStay()
    {
        Assert.Null(GenerationConfig.Load(dir));
        File.WriteAllText(Path.Combine(dir, GenerationConfig.FileName), """{"eos_token_id": [5, 7], "do_sample": false, "top_p": 0.9, "top_k": 20, "max_new_tokens": 3}""");
        var config = GenerationConfig.Load(dir)!;
        Assert.Equal([5, 7], config.EosTokenIds);
        var options = config.ApplyTo(new SamplingOptions { Temperature = 0.8f, TopP = 0.5f, MaxNewTokens = 64 }, new HashSet<string> { "top_p" });
        Assert.Equal(0f, options.Temperature);
        Assert.Equal(0.5f, options.TopP);
        Assert.Equal(20, options.TopK);
        Assert.Equal(3, options.MaxNewTokens);
    }

    [Fact]
    public void ABadValueIsNamedWithItsPath()
    {
        File.WriteAllText(Path.Combine(dir, GenerationConfig.FileName), """{"eos_token_id": [5, -1]}""");
        var e = Assert.Throws<InvalidDataException>(() => GenerationConfig.Load(dir));
        Assert.Contains("$.eos_token_id[1]", e.Message);
    }
}
