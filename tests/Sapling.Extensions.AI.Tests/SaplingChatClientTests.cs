using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Sapling.Inference;
using Sapling.Models;
using Sapling.Models.Bert;
using Sapling.Models.Gpt;
using Sapling.Data.Text;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Sapling.Extensions.AI.Tests;

/// <summary>
/// The chat client and embedding generator used only through Microsoft.Extensions.AI's abstractions, on small random
/// models: what they return equals Sapling's own generation and embedding on the same inputs, options map onto sampling,
/// streaming and cancellation behave, and what cannot be honoured is refused by name.
/// </summary>
public sealed class SaplingChatClientTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-meai-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    /// <summary>A one-layer GPT with a character vocabulary, ChatML markers and the ChatML template. Most random
    /// initialisations answer greedily with marker tokens (empty text); this one writes characters.</summary>
    private string ChatFolder()
    {
        var dir = Path.Combine(root, "chat");
        var tokenizer = ChatTemplate.WithMarkers(CharTokenizer.Train(["hello world, how are you? fine thanks. abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789"]));
        var model = new GptModel(new GptConfig { VocabSize = tokenizer.VocabSize, NPositions = 256, NEmbd = 32, NLayer = 1, NHead = 2 }, new Generator(23));
        GptFolder.Save(dir, model);
        tokenizer.Save(Path.Combine(dir, "tokenizer.json"));
        ChatTemplate.ChatMl.Save(dir);
        return dir;
    }

    private static List<AiChatMessage> Conversation() =>
        [new(ChatRole.System, "be brief"), new(ChatRole.User, "hello, how are you?"), new(ChatRole.Assistant, "fine"), new(ChatRole.User, "and now?")];

    [Fact]
    public async Task GreedyResponseIsSaplingsOwnGenerationAndStreamsTheSameText()
    {
        var folder = ChatFolder();
        using IChatClient client = SaplingChatClient.Load(folder);
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 24 };
        var response = await client.GetResponseAsync(Conversation(), options);

        // The same prompt through Sapling directly.
        var tokenizer = ModelRegistry.LoadTokenizer(folder)!;
        var model = ModelRegistry.LoadLanguageModel(folder);
        var prompt = tokenizer.Encode(ChatTemplate.ChatMl.Render([new("system", "be brief"), new("user", "hello, how are you?"), new("assistant", "fine"), new("user", "and now?")], addGenerationPrompt: true));
        var stops = ChatTemplate.ChatMl.StopIds(tokenizer);
        var ids = TextGenerator.Generate(model, prompt, new SamplingOptions { Temperature = 0, MaxNewTokens = 24, StopIds = stops });
        Assert.Equal(tokenizer.Decode(ids.Where(i => !stops.Contains(i)), skipSpecial: true), response.Text);
        Assert.Equal(prompt.Length, response.Usage!.InputTokenCount);
        Assert.Equal(ids.Length, response.Usage.OutputTokenCount);
        Assert.Equal(stops.Contains(ids[^1]) ? ChatFinishReason.Stop : ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(ChatRole.Assistant, response.Messages.Single().Role);

        var streamed = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(Conversation(), options)) streamed.Add(update);
        Assert.True(streamed.Count > 2, $"{streamed.Count} updates");
        Assert.Equal(response.Text, string.Concat(streamed.Select(u => u.Text)));
        Assert.NotNull(streamed[^1].FinishReason);
        Assert.Single(streamed.SelectMany(u => u.Contents).OfType<UsageContent>());
        Assert.Equal("sapling", client.GetService<ChatClientMetadata>()!.ProviderName);
    }

    [Fact]
    public async Task SeedsRepeatSamplesAndStopSequencesCutTheAnswer()
    {
        using IChatClient client = SaplingChatClient.Load(ChatFolder());
        var sampled = new ChatOptions { Temperature = 1.2f, TopP = 0.95f, TopK = 40, Seed = 7, MaxOutputTokens = 30 };
        var a = await client.GetResponseAsync(Conversation(), sampled);
        var b = await client.GetResponseAsync(Conversation(), sampled);
        Assert.Equal(a.Text, b.Text);

        Assert.True(a.Text.Length >= 8, $"'{a.Text}' is too short to cut");
        var stop = a.Text.Substring(4, 2);
        var cut = await client.GetResponseAsync(Conversation(), new ChatOptions { Temperature = 1.2f, TopP = 0.95f, TopK = 40, Seed = 7, MaxOutputTokens = 30, StopSequences = [stop] });
        Assert.Equal(a.Text[..a.Text.IndexOf(stop, StringComparison.Ordinal)], cut.Text);
        Assert.Equal(ChatFinishReason.Stop, cut.FinishReason);
    }

    [Fact]
    public async Task CancellationStopsAStreamAndTheClientStaysUsable()
    {
        using IChatClient client = SaplingChatClient.Load(ChatFolder());
        using var cancel = new CancellationTokenSource();
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 200 };
        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in client.GetStreamingResponseAsync(Conversation(), options, cancel.Token))
                if (++seen == 2) cancel.Cancel();
        });
        Assert.Equal(2, seen);
        var after = await client.GetResponseAsync(Conversation(), new ChatOptions { Temperature = 0, MaxOutputTokens = 5 });
        Assert.True(after.Usage!.OutputTokenCount is > 0 and <= 5);

        // A reader that stops early without cancelling: its generation is stopped and the next call runs.
        await foreach (var _ in client.GetStreamingResponseAsync(Conversation(), options)) break;
        after = await client.GetResponseAsync(Conversation(), new ChatOptions { Temperature = 0, MaxOutputTokens = 5 });
        Assert.True(after.Usage!.OutputTokenCount is > 0 and <= 5);
    }

    [Fact]
    public async Task WhatALocalModelCannotDoIsRefusedByName()
    {
        using IChatClient client = SaplingChatClient.Load(ChatFolder());
        var tools = await Assert.ThrowsAsync<NotSupportedException>(() => client.GetResponseAsync(Conversation(), new ChatOptions { Tools = [AIFunctionFactory.Create(() => 1, "one")] }));
        Assert.Contains("ChatOptions.Tools", tools.Message);
        var image = await Assert.ThrowsAsync<NotSupportedException>(() => client.GetResponseAsync([new AiChatMessage(ChatRole.User, [new DataContent(new byte[] { 1, 2 }, "image/png")])]));
        Assert.Contains("messages[0]: DataContent", image.Message);
        var penalty = await Assert.ThrowsAsync<NotSupportedException>(() => client.GetResponseAsync(Conversation(), new ChatOptions { FrequencyPenalty = 0.5f }));
        Assert.Contains("FrequencyPenalty", penalty.Message);
        var topP = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(Conversation(), new ChatOptions { TopP = 1.5f }));
        Assert.Contains("top-p", topP.Message);
    }

    [Fact]
    public async Task EmbeddingsAreSentenceEmbeddersAndRegistrationResolvesBoth()
    {
        var encoderDir = Path.Combine(root, "encoder");
        string[] vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "fine", "##s", "thank"];
        BertFolder.Save(encoderDir, new BertModel(new BertConfig { VocabSize = vocab.Length, HiddenSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 32, MaxPositionEmbeddings = 32 }, new Generator(2)));
        File.WriteAllLines(Path.Combine(encoderDir, "vocab.txt"), vocab);
        using IEmbeddingGenerator<string, Embedding<float>> generator = SaplingEmbeddingGenerator.Load(encoderDir);
        string[] texts = ["hello world", "thanks", "fine fine fine hello", ""];
        var embeddings = await generator.GenerateAsync(texts);
        Assert.Equal(4, embeddings.Count);
        var direct = SentenceEmbedder.Load(encoderDir).Embed(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(16, embeddings[i].Dimensions);
            Assert.Equal(direct[i], embeddings[i].Vector.ToArray());
        }
        Assert.Equal(16, generator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelDimensions);
        var refused = await Assert.ThrowsAsync<NotSupportedException>(() => generator.GenerateAsync(texts, new EmbeddingGenerationOptions { Dimensions = 8 }));
        Assert.Contains("Dimensions 8", refused.Message);

        using var services = new ServiceCollection().AddSaplingChatClient(ChatFolder()).AddSaplingEmbeddingGenerator(encoderDir).BuildServiceProvider();
        Assert.IsType<SaplingChatClient>(services.GetRequiredService<IChatClient>());
        Assert.IsType<SaplingEmbeddingGenerator>(services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>());
    }
}
