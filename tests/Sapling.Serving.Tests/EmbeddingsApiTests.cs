using Sapling.Inference;
using Sapling.Models.Bert;
using Sapling.Testing;

namespace Sapling.Serving.Tests;

/// <summary>
/// POST /v1/embeddings on a BERT folder: OpenAI's request and response shape, vectors equal to
/// <see cref="SentenceEmbedder"/>'s, base64 as the official clients decode it, and named refusals.
/// </summary>
public sealed class EmbeddingsApiTests : IDisposable
{
    private const string Key = "embed-key";
    private static readonly string[] Words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "quick", "brown", "fox", "a", "lazy", "dog", "jumps", "over"];
    private readonly string root = Directory.CreateTempSubdirectory("sapling-embed-serve-").FullName;
    private readonly string encoder;

    public EmbeddingsApiTests()
    {
        encoder = Path.Combine(root, "minibert");
        var model = new BertModel(new BertConfig { VocabSize = Words.Length, HiddenSize = 16, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 24, MaxPositionEmbeddings = 32 }, new Generator(5));
        BertFolder.Save(encoder, model);
        File.WriteAllLines(Path.Combine(encoder, "vocab.txt"), Words);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private Task<SaplingServer> Start() => SaplingServer.StartAsync(new ServeOptions { Models = [new(encoder)], Port = 0, ApiKey = Key, LogRequests = false });

    private static HttpClient Client(SaplingServer server) => new() { BaseAddress = server.Address, DefaultRequestHeaders = { { "Authorization", "Bearer " + Key } } };

    [Fact]
    public async Task VectorsAreTheEmbeddersInOpenAisShape()
    {
        await using var server = await Start();
        var (status, body) = await Http.PostJson(Client(server), "/v1/embeddings", """{"model": "minibert", "input": ["the quick brown fox", "a lazy dog"]}""");
        Assert.Equal(200, status);
        Assert.Equal("list", body.GetProperty("object").GetString());
        var expected = SentenceEmbedder.Load(encoder).Embed(["the quick brown fox", "a lazy dog"]);
        var data = body.GetProperty("data");
        Assert.Equal(2, data.GetArrayLength());
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal("embedding", data[i].GetProperty("object").GetString());
            Assert.Equal(i, data[i].GetProperty("index").GetInt32());
            Assert.Equal(expected[i], data[i].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray());
        }
        // [CLS] the quick brown fox [SEP] and [CLS] a lazy dog [SEP]
        Assert.Equal(11, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());

        (status, body) = await Http.PostJson(Client(server), "/v1/embeddings", """{"model": "minibert", "input": "a lazy dog", "encoding_format": "base64"}""");
        Assert.Equal(200, status);
        var bytes = Convert.FromBase64String(body.GetProperty("data")[0].GetProperty("embedding").GetString()!);
        Assert.Equal(expected[1], System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray());

        (status, body) = await Http.Get(Client(server), "/v1/models/minibert");
        Assert.Equal("embedding", body.GetProperty("kind").GetString());
        Assert.Equal(16, body.GetProperty("dimensions").GetInt32());
    }

    [Theory]
    [InlineData("""{"model": "minibert"}""", "'input' is required")]
    [InlineData("""{"model": "minibert", "input": []}""", "'input' is empty")]
    [InlineData("""{"model": "minibert", "input": ["fox", ""]}""", "input 1 is an empty string")]
    [InlineData("""{"model": "minibert", "input": [5, 6, 7]}""", "token ids is not supported")]
    [InlineData("""{"model": "minibert", "input": "fox", "encoding_format": "int8"}""", "'encoding_format' must be")]
    [InlineData("""{"model": "minibert", "input": "fox", "dimensions": 8}""", "'dimensions' 8 is not supported")]
    public async Task BadRequestsAreNamed(string request, string message)
    {
        await using var server = await Start();
        var (status, body) = await Http.PostJson(Client(server), "/v1/embeddings", request);
        Assert.Equal(400, status);
        Assert.Contains(message, body.GetProperty("error").GetProperty("message").GetString());
    }

    [NodeClientFact("openai")]
    public async Task TheOfficialOpenAiClientGetsTheSameVectors()
    {
        await using var server = await Start();
        var result = NodeScript.Run("openai-embeddings.mjs", server.Address.ToString(), Key, "minibert");
        var expected = SentenceEmbedder.Load(encoder).Embed(["the quick brown fox", "a lazy dog", "the dog"]);
        var many = result.GetProperty("many");
        Assert.Equal("minibert", many.GetProperty("model").GetString());
        for (int i = 0; i < 3; i++)
            Assert.Equal(expected[i], many.GetProperty("data")[i].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray());
        Assert.Equal(expected[0], result.GetProperty("one").GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray());
        Assert.Equal(400, result.GetProperty("refused").GetProperty("status").GetInt32());
    }
}
