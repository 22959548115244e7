using Sapling.Inference;
using Sapling.Models.Gpt;
using Sapling.Serving.Catalog;
using Sapling.Serving.Generation;
using Sapling.Serving.Operations;
using Sapling.Data.Text;

namespace Sapling.Serving.Tests;

/// <summary>The batcher driven step by step, without HTTP: admission, abandonment, deadlines and the queue bound.</summary>
public sealed class ContinuousBatcherTests : IClassFixture<TestModels>
{
    private readonly ServedLanguageModel model;

    public ContinuousBatcherTests(TestModels models)
    {
        model = new ServedLanguageModel("plain", models.Plain, GptFolder.Load(models.Plain), Tokenizers.Load(Path.Combine(models.Plain, "tokenizer.json")), null);
    }

    private GenerationRequest Request(int maxTokens, CancellationToken aborted = default, DateTime? deadline = null) =>
        new(model.Tokenizer.Encode("the"), new SamplingOptions { MaxNewTokens = maxTokens, Temperature = 0 }, [], aborted, deadline ?? DateTime.UtcNow.AddMinutes(1));

    [Fact]
    public void EachStepAdmitsWaitingRequestsAndDecodesThemTogether()
    {
        var metrics = new ServerMetrics();
        var batcher = new ContinuousBatcher(model, metrics, maxBatch: 2, capacity: 8);
        var requests = Enumerable.Range(0, 3).Select(_ => Request(5)).ToList();
        foreach (var r in requests) Assert.True(batcher.TryEnqueue(r));
        Assert.True(batcher.Step());
        Assert.Equal(2, batcher.Running);
        Assert.Equal(1, batcher.Waiting);
        while (batcher.Step()) { }
        Assert.Equal(0, batcher.Running);
        foreach (var r in requests)
        {
            Assert.True(r.Events.TryRead(out _));
            var events = new List<GenerationEvent>();
            while (r.Events.TryRead(out var e)) events.Add(e);
            var finished = Assert.IsType<Finished>(events[^1]);
            Assert.Equal(5, finished.CompletionTokens);
            Assert.Equal("length", finished.FinishReason);
        }
        Assert.Equal(15, metrics.TokensGenerated);
    }

    [Fact]
    public void AnAbandonedRequestLeavesTheBatchAtTheNextStep()
    {
        var metrics = new ServerMetrics();
        var batcher = new ContinuousBatcher(model, metrics, maxBatch: 4, capacity: 8);
        using var gone = new CancellationTokenSource();
        var abandoned = Request(20, gone.Token);
        var kept = Request(20);
        batcher.TryEnqueue(abandoned);
        batcher.TryEnqueue(kept);
        batcher.Step();
        Assert.Equal(2, batcher.Running);
        gone.Cancel();
        long tokens = metrics.TokensGenerated;
        batcher.Step();
        Assert.Equal(1, batcher.Running);
        Assert.Equal(tokens + 1, metrics.TokensGenerated);
        Assert.Contains("sapling_abandoned_requests_total 1", metrics.Render());
    }

    [Fact]
    public void ARequestPastItsDeadlineFinishesAsTimeout()
    {
        var batcher = new ContinuousBatcher(model, new ServerMetrics(), maxBatch: 4, capacity: 8);
        var late = Request(20, deadline: DateTime.UtcNow.AddSeconds(-1));
        batcher.TryEnqueue(late);
        batcher.Step();
        Assert.True(late.Events.TryRead(out var e));
        Assert.Equal("timeout", Assert.IsType<Finished>(e).FinishReason);
        Assert.Equal(0, batcher.Running);
    }

    [Fact]
    public void AFullQueueRefusesMore()
    {
        var batcher = new ContinuousBatcher(model, new ServerMetrics(), maxBatch: 1, capacity: 2);
        Assert.True(batcher.TryEnqueue(Request(1)));
        Assert.True(batcher.TryEnqueue(Request(1)));
        Assert.False(batcher.TryEnqueue(Request(1)));
    }

    [Fact]
    public void ARequestTheModelRefusesFailsAloneAndTheOthersFinish()
    {
        var batcher = new ContinuousBatcher(model, new ServerMetrics(), maxBatch: 4, capacity: 8);
        var good = Request(6);
        var bad = new GenerationRequest([1, 1_000_000], new SamplingOptions { MaxNewTokens = 6, Temperature = 0 }, [], default, DateTime.UtcNow.AddMinutes(1));
        var alsoGood = Request(6);
        foreach (var r in new[] { good, bad, alsoGood }) Assert.True(batcher.TryEnqueue(r));
        while (batcher.Step()) { }
        Assert.Equal(0, batcher.Running);
        var error = Assert.ThrowsAny<Exception>(() => Drain(bad));
        var apiError = Assert.IsType<Api.ApiError>(error);
        Assert.True(apiError.Status == 400, $"{apiError.Status}: {apiError.Message}");
        foreach (var r in new[] { good, alsoGood })
        {
            var finished = Assert.IsType<Finished>(Drain(r)[^1]);
            Assert.Equal(6, finished.CompletionTokens);
        }
    }

    [Fact]
    public void AModelWiderThanItsTokenizerGeneratesOnlyIdsTheTokenizerKnows()
    {
        var tokenizer = model.Tokenizer;
        var wide = new GptModel(new GptConfig { VocabSize = tokenizer.VocabSize * 4, NPositions = 32, NEmbd = 16, NLayer = 1, NHead = 2 }, new Generator(5));
        wide.Eval();
        var served = new ServedLanguageModel("wide", model.Directory, wide, tokenizer, null);
        Assert.Equal(tokenizer.VocabSize, served.SampledVocabulary);
        var batcher = new ContinuousBatcher(served, new ServerMetrics(), maxBatch: 4, capacity: 8);
        var requests = Enumerable.Range(0, 3).Select(i => new GenerationRequest(tokenizer.Encode("the"), new SamplingOptions { MaxNewTokens = 12, Temperature = 1, Seed = (ulong)i }, [], default, DateTime.UtcNow.AddMinutes(1))).ToList();
        foreach (var r in requests) batcher.TryEnqueue(r);
        while (batcher.Step()) { }
        foreach (var r in requests) Assert.Equal(12, Assert.IsType<Finished>(Drain(r)[^1]).CompletionTokens);
    }

    /// <summary>Every event of a finished request; throws the request's error when it failed.</summary>
    private static List<GenerationEvent> Drain(GenerationRequest request)
    {
        var events = new List<GenerationEvent>();
        var reader = request.Events;
        while (reader.TryRead(out var e)) events.Add(e);
        if (reader.Completion.IsFaulted) throw reader.Completion.Exception!.InnerException!;
        return events;
    }
}
