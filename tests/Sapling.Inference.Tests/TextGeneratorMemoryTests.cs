using Sapling.Models.Gpt;

namespace Sapling.Inference.Tests;

/// <summary>
/// A generation's steady state allocates no vocabulary-sized array per token (with a large vocabulary that would be
/// a large-object allocation per token, which the GC lets pile up: hundreds of megabytes over a long generation).
/// </summary>
public sealed class TextGeneratorMemoryTests
{
    private static readonly GptModel Model = new(new GptConfig { VocabSize = 40_000, NPositions = 256, NEmbd = 8, NLayer = 1, NHead = 2 }, new Generator(4));

    private static long AllocatedFor(int tokens, Func<int, object> generate)
    {
        generate(4);
        long before = GC.GetAllocatedBytesForCurrentThread();
        generate(tokens);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void EachGeneratedTokenAllocatesFarLessThanOneRowOfLogits()
    {
        var options = new SamplingOptions { Temperature = 0.9f, TopK = 5, Seed = 1 };
        Func<int, object> generate = n => TextGenerator.Generate(Model, [1, 2], options with { MaxNewTokens = n });
        long perToken = (AllocatedFor(120, generate) - AllocatedFor(20, generate)) / 100;
        Assert.True(perToken < 40_000 * sizeof(float) / 4, $"{perToken} bytes allocated per generated token");
    }

    [Fact]
    public void EachBatchedStepAllocatesFarLessThanTheBatchsLogits()
    {
        var options = new SamplingOptions { Temperature = 0.9f, Seed = 2 };
        Func<int, object> generate = n => TextGenerator.GenerateBatch(Model, [[1, 2], [3]], options with { MaxNewTokens = n });
        long perStep = (AllocatedFor(120, generate) - AllocatedFor(20, generate)) / 100;
        Assert.True(perStep < 2 * 40_000 * sizeof(float) / 4, $"{perStep} bytes allocated per batched step");
    }
}
