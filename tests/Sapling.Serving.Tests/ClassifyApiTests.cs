using System.Net.Http.Headers;
using System.Text.Json;
using Sapling.Inference;
using Sapling.Models.Gpt;
using Sapling.Data.Text;

namespace Sapling.Serving.Tests;

public sealed class ClassifyApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    /// <summary>An 8×8 binary PGM (P5) whose pixel values are the given row.</summary>
    private static byte[] Pgm(float[] pixels)
    {
        var header = System.Text.Encoding.ASCII.GetBytes("P5\n8 8\n255\n");
        return [.. header, .. pixels.Select(p => (byte)Math.Clamp(p * 16, 0, 255))];
    }

    private static readonly float[] Digit = Enumerable.Range(0, 64).Select(i => (float)(i * 7 % 16)).ToArray();

    [Fact]
    public async Task TextClassifierProbabilitiesMatchTheLibrary()
    {
        var (status, body) = await Http.PostJson(fixture.Client, "/v1/classify", """{"model": "spam", "input": ["buy now", "hello"]}""");
        Assert.Equal(200, status);
        var classifier = new TextClassifier(GptFolder.Load(fixture.Models.Spam), Tokenizers.Load(Path.Combine(fixture.Models.Spam, "tokenizer.json")));
        var expected = classifier.Probabilities([classifier.Encode("buy now"), classifier.Encode("hello")]);
        var data = body.GetProperty("data");
        Assert.Equal(2, data.GetArrayLength());
        for (int i = 0; i < 2; i++)
        {
            var labels = data[i].GetProperty("labels").EnumerateArray().ToDictionary(l => l.GetProperty("label").GetString()!, l => l.GetProperty("probability").GetSingle());
            Assert.Equal(expected[i][0], labels["ham"], 5);
            Assert.Equal(expected[i][1], labels["spam"], 5);
            Assert.Equal(expected[i][0] >= expected[i][1] ? "ham" : "spam", data[i].GetProperty("label").GetString());
        }
    }

    [Fact]
    public async Task ImageUploadsAndBase64AndRowsGiveTheSameAnswer()
    {
        var predictor = ClassifierPredictor.Load(fixture.Models.Digits);
        var expected = predictor.Probabilities(predictor.Prepare(Digit, 1)).ToArray();

        var (status, fromRow) = await Http.PostJson(fixture.Client, "/v1/classify", JsonSerializer.Serialize(new { model = "digits", input = Digit }));
        Assert.Equal(200, status);
        AssertProbabilities(expected, fromRow, 1e-5);

        var image = Pgm(Digit);
        var expectedImage = predictor.Probabilities(predictor.PrepareImages([(image, "digit.pgm")])).ToArray();
        var base64 = "data:image/x-portable-graymap;base64," + Convert.ToBase64String(image);
        (status, var fromBase64) = await Http.PostJson(fixture.Client, "/v1/classify", JsonSerializer.Serialize(new { model = "digits", image = base64 }));
        Assert.Equal(200, status);
        AssertProbabilities(expectedImage, fromBase64, 1e-5);

        using var form = new MultipartFormDataContent();
        form.Add(new StringContent("digits"), "model");
        form.Add(new StringContent("2"), "top_k");
        var file = new ByteArrayContent(Pgm(Digit));
        file.Headers.ContentType = new MediaTypeHeaderValue("image/x-portable-graymap");
        form.Add(file, "file", "digit.pgm");
        using var response = await fixture.Client.PostAsync("/v1/classify", form);
        Assert.Equal(200, (int)response.StatusCode);
        var fromUpload = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(2, fromUpload.GetProperty("data")[0].GetProperty("labels").GetArrayLength());
        Assert.Equal(fromBase64.GetProperty("data")[0].GetProperty("label").GetString(), fromUpload.GetProperty("data")[0].GetProperty("label").GetString());
        AssertProbabilities(expectedImage, fromUpload, 1e-5);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("two")]
    public async Task AnUploadsTopKOutsideItsRangeIsRefusedByName(string topK)
    {
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent("digits"), "model");
        form.Add(new StringContent(topK), "top_k");
        var file = new ByteArrayContent(Pgm(Digit));
        file.Headers.ContentType = new MediaTypeHeaderValue("image/x-portable-graymap");
        form.Add(file, "file", "digit.pgm");
        using var response = await fixture.Client.PostAsync("/v1/classify", form);
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains("top_k", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task FeatureRowsAreClassifiedInOneBatch()
    {
        var rows = new[] { new[] { 1f, 2f, 3f, 4f }, new[] { -1f, 0.5f, 0f, 2f }, new[] { 0f, 0f, 0f, 0f } };
        var (status, body) = await Http.PostJson(fixture.Client, "/v1/classify", JsonSerializer.Serialize(new { model = "rows", input = rows }));
        Assert.Equal(200, status);
        var predictor = ClassifierPredictor.Load(fixture.Models.Rows);
        var expected = predictor.Probabilities(predictor.Prepare(rows.SelectMany(r => r).ToArray(), 3)).ToArray();
        AssertProbabilities(expected, body, 1e-5);
    }

    /// <summary>Compares a response's per-input probabilities (labels are class indices' names "0", "1", ...) with [N, K] values.</summary>
    private static void AssertProbabilities(float[] expected, JsonElement body, double tolerance)
    {
        var data = body.GetProperty("data");
        int k = expected.Length / data.GetArrayLength();
        for (int i = 0; i < data.GetArrayLength(); i++)
            foreach (var label in data[i].GetProperty("labels").EnumerateArray())
            {
                int c = int.Parse(label.GetProperty("label").GetString()!);
                Assert.True(Math.Abs(expected[i * k + c] - label.GetProperty("probability").GetSingle()) <= tolerance,
                    $"input {i} class {c}: expected {expected[i * k + c]}, got {label.GetProperty("probability").GetSingle()}");
            }
    }
}
