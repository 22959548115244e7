using System.Text.Json;
using Sapling.Inference;
using Sapling.Models.Gpt;
using Sapling.Data.Text;

namespace Sapling.Serving.Tests;

public sealed class GenerationApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Client => fixture.Client;

    /// <summary>What the library's own greedy generation gives for a prompt, as text.</summary>
    private string Greedy(string folder, int[] prompt, int maxTokens, IReadOnlySet<int> stops)
    {
        var model = GptFolder.Load(folder);
        var tokenizer = Tokenizers.Load(Path.Combine(folder, "tokenizer.json"));
        var ids = TextGenerator.Generate(model, prompt, new SamplingOptions { MaxNewTokens = maxTokens, Temperature = 0, StopIds = stops });
        return tokenizer.Decode(ids.Where(i => !stops.Contains(i)), skipSpecial: true);
    }

    [Fact]
    public async Task ModelsListsEveryFolderWithItsKind()
    {
        var (status, body) = await Http.Get(Client, "/v1/models");
        Assert.Equal(200, status);
        var data = body.GetProperty("data").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!);
        Assert.Equal(["digits", "plain", "poet", "rows", "spam"], data.Keys.Order());
        Assert.True(data["poet"].GetProperty("chat").GetBoolean());
        Assert.False(data["plain"].GetProperty("chat").GetBoolean());
        Assert.Equal("classifier", data["digits"].GetProperty("kind").GetString());
        Assert.Equal("text-classifier", data["spam"].GetProperty("kind").GetString());
        Assert.Equal("model", data["poet"].GetProperty("object").GetString());
        (status, body) = await Http.Get(Client, "/v1/models/poet");
        Assert.Equal(200, status);
        Assert.Equal(96, body.GetProperty("context_length").GetInt32());
        (status, body) = await Http.Get(Client, "/v1/models/nope");
        Assert.Equal(404, status);
        Assert.Equal("model_not_found", body.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task GreedyCompletionEqualsTheLibrarysGeneration()
    {
        var (status, body) = await Http.PostJson(Client, "/v1/completions", """{"model": "plain", "prompt": "the quick", "max_tokens": 12, "temperature": 0}""");
        Assert.Equal(200, status);
        var tokenizer = Tokenizers.Load(Path.Combine(fixture.Models.Plain, "tokenizer.json"));
        var prompt = tokenizer.Encode("the quick");
        var expected = Greedy(fixture.Models.Plain, prompt, 12, new HashSet<int> { tokenizer.EndOfTextId });
        var choice = body.GetProperty("choices")[0];
        Assert.Equal(expected, choice.GetProperty("text").GetString());
        Assert.Equal("text_completion", body.GetProperty("object").GetString());
        var usage = body.GetProperty("usage");
        Assert.Equal(prompt.Length, usage.GetProperty("prompt_tokens").GetInt32());
        int completion = usage.GetProperty("completion_tokens").GetInt32();
        Assert.Equal(prompt.Length + completion, usage.GetProperty("total_tokens").GetInt32());
        Assert.Equal(completion == 12 ? "length" : "stop", choice.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task StreamedChatCarriesTheSameTextAsTheWholeAnswer()
    {
        const string request = """{"model": "poet", "messages": [{"role": "system", "content": "a song"}, {"role": "user", "content": "la la"}], "max_tokens": 20, "temperature": 0.9, "seed": 5 """;
        var (status, whole) = await Http.PostJson(Client, "/v1/chat/completions", request + "}");
        Assert.Equal(200, status);
        var message = whole.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal("assistant", message.GetProperty("role").GetString());
        var events = await Http.Events(Client, "/v1/chat/completions", request + """, "stream": true, "stream_options": {"include_usage": true}}""");
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        var text = string.Concat(chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0)
            .Select(c => c.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var piece) ? piece.GetString() : ""));
        Assert.Equal(message.GetProperty("content").GetString(), text);
        var finish = chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0).Select(c => c.GetProperty("choices")[0].GetProperty("finish_reason")).Last();
        Assert.Equal(whole.GetProperty("choices")[0].GetProperty("finish_reason").GetString(), finish.GetString());
        Assert.Equal(whole.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task ConcurrentRequestsShareDecodeStepsAndGetTheirOwnAnswers()
    {
        var prompts = new[] { "the", "a poem", "la la la", "quick brown fox jumps", "lazy", "dog. a", "song", "over the lazy dog" };
        var tokenizer = Tokenizers.Load(Path.Combine(fixture.Models.Poet, "tokenizer.json"));
        var stops = new HashSet<int> { tokenizer.EndOfTextId };
        var expected = prompts.Select(p => Greedy(fixture.Models.Poet, tokenizer.Encode(p), 24, stops)).ToArray();
        long batchedBefore = BatchedSteps();
        var answers = await Task.WhenAll(prompts.Select(p =>
            Http.PostJson(Client, "/v1/completions", JsonSerializer.Serialize(new { model = "poet", prompt = p, max_tokens = 24, temperature = 0 }))));
        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(200, answers[i].Status);
            Assert.Equal(expected[i], answers[i].Body.GetProperty("choices")[0].GetProperty("text").GetString());
        }
        Assert.True(BatchedSteps() > batchedBefore, "no decode step ran more than one sequence at once");
    }

    /// <summary>Decode steps that carried two or more sequences, read from /metrics' batch-size histogram.</summary>
    private long BatchedSteps()
    {
        var text = fixture.Server.Metrics.Render();
        long Bucket(string le) => long.Parse(text.Split('\n').First(l => l.StartsWith($"sapling_decode_batch_size_bucket{{le=\"{le}\"}}", StringComparison.Ordinal)).Split(' ')[1]);
        return Bucket("+Inf") - Bucket("1");
    }

    [Fact]
    public async Task StopStringsCutTheAnswerBeforeThem()
    {
        var (_, free) = await Http.PostJson(Client, "/v1/completions", """{"model": "plain", "prompt": "the", "max_tokens": 20, "temperature": 0}""");
        var text = free.GetProperty("choices")[0].GetProperty("text").GetString()!;
        Assert.True(text.Length >= 6, $"greedy text too short to test: '{text}'");
        var stop = text.Substring(3, 2);
        var (status, body) = await Http.PostJson(Client, "/v1/completions", JsonSerializer.Serialize(new { model = "plain", prompt = "the", max_tokens = 20, temperature = 0, stop = new[] { stop } }));
        Assert.Equal(200, status);
        var choice = body.GetProperty("choices")[0];
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], choice.GetProperty("text").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        var streamed = await Http.Events(Client, "/v1/completions", JsonSerializer.Serialize(new { model = "plain", prompt = "the", max_tokens = 20, temperature = 0, stop, stream = true }));
        var pieces = string.Concat(streamed[..^1].Select(e => JsonDocument.Parse(e).RootElement.GetProperty("choices")[0].GetProperty("text").GetString()));
        Assert.Equal(choice.GetProperty("text").GetString(), pieces);
    }

    [Fact]
    public async Task SameSeedSameSample()
    {
        const string request = """{"model": "poet", "prompt": "a", "max_tokens": 16, "temperature": 1.2, "top_p": 0.9, "seed": 42}""";
        var first = await Http.PostJson(Client, "/v1/completions", request);
        var second = await Http.PostJson(Client, "/v1/completions", request);
        Assert.Equal(first.Body.GetProperty("choices")[0].GetProperty("text").GetString(), second.Body.GetProperty("choices")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task MaxTokensZeroAndTheWholeContextAreHonoured()
    {
        var (status, body) = await Http.PostJson(Client, "/v1/completions", """{"model": "plain", "prompt": "the", "max_tokens": 0}""");
        Assert.Equal(200, status);
        Assert.Equal("", body.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal(0, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        // A chat without max_tokens may use all the room the prompt leaves, and no more.
        (status, body) = await Http.PostJson(Client, "/v1/chat/completions", """{"model": "poet", "messages": [{"role": "user", "content": "the"}], "temperature": 0}""");
        Assert.Equal(200, status);
        var usage = body.GetProperty("usage");
        Assert.True(usage.GetProperty("total_tokens").GetInt32() <= 96);
    }
}
