using Sapling.Inference;
using Sapling.Models.Bart;
using Sapling.Data.Text;

namespace Sapling.Serving.Tests;

/// <summary>
/// POST /v1/translate on a Marian folder: input as a text or a list (the /v1/embeddings shape), translations equal to
/// <see cref="Seq2SeqTranslator"/>'s with the same search, usage counts, the model listed as a translation model, and
/// named refusals.
/// </summary>
public sealed class TranslateApiTests : IDisposable
{
    private const string Key = "translate-key";
    private readonly string root = Directory.CreateTempSubdirectory("sapling-translate-serve-").FullName;
    private readonly string folder;

    public TranslateApiTests()
    {
        folder = Path.Combine(root, "marian");
        var tokenizer = CharTokenizer.Train(["the quick brown fox", "el zorro marron rapido"]).WithSpecialTokens(["<pad>"]);
        int pad = tokenizer.IdOf("<pad>"), eos = tokenizer.EndOfTextId;
        var config = new BartConfig
        {
            ModelType = BartConfig.MarianType, VocabSize = tokenizer.VocabSize, DModel = 16, EncoderLayers = 1, DecoderLayers = 1, EncoderAttentionHeads = 2,
            DecoderAttentionHeads = 2, EncoderFfnDim = 32, DecoderFfnDim = 32, ActivationFunction = "swish", MaxPositionEmbeddings = 64, ScaleEmbedding = true,
            PadTokenId = pad, BosTokenId = null, EosTokenId = eos, DecoderStartTokenId = pad, ForcedEosTokenId = eos, BadWordIds = [pad],
        };
        new BartForConditionalGeneration(config, new Generator(3)).Save(folder);
        tokenizer.Save(Path.Combine(folder, "tokenizer.json"));
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private Task<SaplingServer> Start() => SaplingServer.StartAsync(new ServeOptions { Models = [new(folder)], Port = 0, ApiKey = Key, LogRequests = false });

    private static HttpClient Client(SaplingServer server) => new() { BaseAddress = server.Address, DefaultRequestHeaders = { { "Authorization", "Bearer " + Key } } };

    [Fact]
    public async Task TranslationsAreTheTranslatorsWithUsage()
    {
        await using var server = await Start();
        var (status, body) = await Http.PostJson(Client(server), "/v1/translate", """{"model": "marian", "input": ["the fox", "quick brown"], "num_beams": 2, "max_new_tokens": 6}""");
        Assert.Equal(200, status);
        Assert.Equal("list", body.GetProperty("object").GetString());
        var translator = new Seq2SeqTranslator(Models.ModelRegistry.LoadSeq2SeqLM(folder), Tokenizers.Load(Path.Combine(folder, "tokenizer.json")));
        var expected = translator.TranslateWithCounts(["the fox", "quick brown"], new Seq2SeqGenerationOptions { NumBeams = 2, MaxNewTokens = 6 });
        var data = body.GetProperty("data");
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal("translation", data[i].GetProperty("object").GetString());
            Assert.Equal(i, data[i].GetProperty("index").GetInt32());
            Assert.Equal(expected[i].Text, data[i].GetProperty("text").GetString());
        }
        var usage = body.GetProperty("usage");
        Assert.Equal(expected.Sum(t => t.SourceTokens), usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(expected.Sum(t => t.GeneratedTokens), usage.GetProperty("completion_tokens").GetInt32());

        (status, body) = await Http.PostJson(Client(server), "/v1/translate", """{"model": "marian", "input": "the fox"}""");
        Assert.Equal(200, status);
        Assert.Equal(1, body.GetProperty("data").GetArrayLength());

        (status, body) = await Http.Get(Client(server), "/v1/models/marian");
        Assert.Equal("translation", body.GetProperty("kind").GetString());
        Assert.Equal("marian", body.GetProperty("model_type").GetString());
    }

    [Theory]
    [InlineData("""{"model": "marian"}""", "'input' is required")]
    [InlineData("""{"model": "marian", "input": ["fox", ""]}""", "input 1 is an empty string")]
    [InlineData("""{"model": "marian", "input": "fox", "num_beams": 0}""", "num_beams")]
    [InlineData("""{"model": "marian", "input": "fox", "max_new_tokens": 5000}""", "max_new_tokens")]
    [InlineData("""{"model": "nope", "input": "fox"}""", "does not exist")]
    public async Task BadRequestsAreNamed(string request, string message)
    {
        await using var server = await Start();
        var (status, body) = await Http.PostJson(Client(server), "/v1/translate", request);
        Assert.True(status is 400 or 404, $"status {status}");
        Assert.Contains(message, body.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task OtherRoutesRefuseATranslationModel()
    {
        await using var server = await Start();
        var (status, body) = await Http.PostJson(Client(server), "/v1/embeddings", """{"model": "marian", "input": "fox"}""");
        Assert.Equal(400, status);
        Assert.Contains("is a translation", body.GetProperty("error").GetProperty("message").GetString());
    }
}
