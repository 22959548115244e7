using System.Text.Json;

namespace Sapling.Serving.Tests;

/// <summary>Every kind of bad request gets a 4xx with an OpenAI-style error that says what is wrong, and the server keeps serving.</summary>
public sealed class BadInputTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    public static TheoryData<string, string, int, string> Cases() => new()
    {
        { "/v1/completions", "{\"model\": \"plain\", \"prompt\": ", 400, "not valid JSON" },
        { "/v1/completions", "[1, 2]", 400, "must be a JSON object" },
        { "/v1/completions", """{"prompt": "a"}""", 400, "'model' is required" },
        { "/v1/completions", """{"model": "nope", "prompt": "a"}""", 404, "does not exist" },
        { "/v1/completions", """{"model": "plain"}""", 400, "'prompt' is required" },
        { "/v1/completions", """{"model": "plain", "prompt": "a", "max_tokens": -1}""", 400, "'max_tokens' must be ≥ 0" },
        { "/v1/completions", """{"model": "plain", "prompt": "a", "max_tokens": "ten"}""", 400, "'max_tokens' must be an integer" },
        { "/v1/completions", """{"model": "plain", "prompt": "a", "max_tokens": 1000}""", 400, "maximum context length is 32" },
        { "/v1/completions", """{"model": "plain", "prompt": "a", "temperature": 3}""", 400, "'temperature' must be between 0 and 2" },
        { "/v1/completions", """{"model": "plain", "prompt": "a", "top_p": 0}""", 400, "'top_p' must be between" },
        { "/v1/completions", """{"model": "plain", "prompt": "a", "n": 2}""", 400, "'n' must be 1" },
        { "/v1/completions", """{"model": "plain", "prompt": "a", "stop": [1]}""", 400, "'stop' must be a string" },
        { "/v1/completions", """{"model": "plain", "prompt": "a", "stream": "yes"}""", 400, "'stream' must be true or false" },
        { "/v1/completions", """{"model": "plain", "prompt": [999999]}""", 400, "outside the vocabulary" },
        { "/v1/completions", """{"model": "digits", "prompt": "a"}""", 400, "use POST /v1/classify" },
        { "/v1/chat/completions", """{"model": "plain", "messages": [{"role": "user", "content": "a"}]}""", 400, "has no chat template" },
        { "/v1/chat/completions", """{"model": "poet", "messages": []}""", 400, "'messages' must be a non-empty array" },
        { "/v1/chat/completions", """{"model": "poet", "messages": [{"role": "wizard", "content": "a"}]}""", 400, "role 'wizard'" },
        { "/v1/classify", """{"model": "rows", "input": [1, 2]}""", 400, "array of 4 numbers" },
        { "/v1/classify", """{"model": "rows", "input": [1, 1e300, 2, 3]}""", 400, "beyond float32's range" },
        { "/v1/classify", """{"model": "spam", "input": 5}""", 400, "'input' must be a text" },
        { "/v1/classify", """{"model": "digits", "image": "@@@"}""", 400, "not valid base64" },
        { "/v1/classify", """{"model": "digits", "image": "aGVsbG8gd29ybGQ="}""", 400, "not a PNG, JPEG, WebP, GIF, BMP, ICO or PGM/PPM image" },
        { "/v1/classify", """{"model": "poet", "input": "a"}""", 400, "is a language model" },
        { "/v1/nothing", "{}", 404, "no route" },
        { "/v1/completions", """{"model": "plain", "prompt": "a\ud800b"}""", 400, "not valid Unicode" },
        { "/v1/chat/completions", """{"model": "poet", "messages": [{"role": "user", "content": "\udc00"}]}""", 400, "not valid Unicode" },
        { "/v1/completions", """{"model": "plain", "prompt": "a", "logit_bias": {"5": 100}}""", 400, "'logit_bias' is not supported" },
        { "/v1/completions", """{"model": "plain", "prompt": "a", "echo": true}""", 400, "'echo' is not supported" },
        { "/v1/completions", """{"model": "plain", "prompt": "a", "best_of": 3}""", 400, "'best_of' must be 1" },
        { "/v1/chat/completions", """{"model": "poet", "messages": [{"role": "user", "content": "a"}], "tools": []}""", 400, "'tools' is not supported" },
        { "/v1/chat/completions", """{"model": "poet", "messages": [{"role": "user", "content": "a"}], "response_format": {"type": "json_object"}}""", 400, "'response_format'" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadRequestsGetAClearError(string path, string body, int status, string message)
    {
        var (code, json) = await Http.PostJson(fixture.Client, path, body);
        Assert.Equal(status, code);
        var error = json.GetProperty("error");
        Assert.Contains(message, error.GetProperty("message").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("type").GetString()));
        await StillServes();
    }

    [Fact]
    public async Task APromptLongerThanTheContextIsRefusedWithItsLength()
    {
        var (code, json) = await Http.PostJson(fixture.Client, "/v1/completions", JsonSerializer.Serialize(new { model = "plain", prompt = new string('a', 40) }));
        Assert.Equal(400, code);
        Assert.Equal("context_length_exceeded", json.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("the prompt has 40 tokens", json.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task AHugeBodyIs413()
    {
        var huge = "{\"model\": \"plain\", \"prompt\": \"" + new string('a', 200_000) + "\"}";
        var (code, json) = await Http.PostJson(fixture.Client, "/v1/completions", huge);
        Assert.Equal(413, code);
        Assert.Contains("exceeds the limit of 65536 bytes", json.GetProperty("error").GetProperty("message").GetString());
        await StillServes();
    }

    [Fact]
    public async Task InvalidUtf8BytesInABodyAre400()
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes("{\"model\": \"plain\", \"prompt\": \"a__b\"}");
        int at = Array.IndexOf(bytes, (byte)'_');
        (bytes[at], bytes[at + 1]) = (0xC3, 0x28);   // a lead byte followed by a byte that cannot continue it
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await fixture.Client.PostAsync("/v1/completions", content);
        Assert.Equal(400, (int)response.StatusCode);
        await StillServes();
    }

    [Fact]
    public async Task AnImageClaimingMorePixelsThanTheServersBudgetIs400BeforeDecoding()
    {
        // 30 bytes that claim a 5,000 × 5,000 grey image: 25 million pixels, over the server's 16.8 million.
        var bomb = System.Text.Encoding.ASCII.GetBytes("P5\n5000 5000\n255\n").Concat(new byte[12]).ToArray();
        var body = JsonSerializer.Serialize(new { model = "digits", image = Convert.ToBase64String(bomb) });
        var (code, json) = await Http.PostJson(fixture.Client, "/v1/classify", body);
        Assert.Equal(400, code);
        Assert.Contains("exceeds the limit of 16,777,216 pixels", json.GetProperty("error").GetProperty("message").GetString());
        await StillServes();
    }

    [Fact]
    public async Task NeutralValuesOfUnhonouredFieldsPass()
    {
        var (code, _) = await Http.PostJson(fixture.Client, "/v1/completions", """{"model": "plain", "prompt": "a", "max_tokens": 2, "logit_bias": {}, "echo": false, "best_of": 1, "user": "me"}""");
        Assert.Equal(200, code);
    }

    [Fact]
    public async Task AWrongMethodIs405()
    {
        using var response = await fixture.Client.GetAsync("/v1/completions");
        Assert.Equal(405, (int)response.StatusCode);
        Assert.Contains("use POST", await response.Content.ReadAsStringAsync());
    }

    private async Task StillServes()
    {
        var (code, _) = await Http.PostJson(fixture.Client, "/v1/completions", """{"model": "plain", "prompt": "the", "max_tokens": 2}""");
        Assert.Equal(200, code);
    }
}
