using System.Text;
using Sapling.Testing;
using Xunit.Abstractions;

namespace Sapling.Serving.Tests;

/// <summary>
/// Mutated request bodies against every POST route of a running server (loopback only, bounded by the fuzzing time):
/// each answer is a success or a 4xx in OpenAI's error shape, never a 500, a dropped connection or a hang, and the
/// server answers a plain request afterwards.
/// </summary>
public sealed class ApiFuzzTests(ServerFixture fixture, ITestOutputHelper output) : IClassFixture<ServerFixture>
{
    private static readonly (string Path, string Body)[] Seeds =
    [
        ("/v1/completions", """{"model": "plain", "prompt": "the quick", "max_tokens": 3, "temperature": 0.7, "top_p": 0.9, "stop": ["."], "seed": 4}"""),
        ("/v1/completions", """{"model": "plain", "prompt": [1, 2, 3], "max_tokens": 2, "stream": true, "stream_options": {"include_usage": true}}"""),
        ("/v1/chat/completions", """{"model": "poet", "messages": [{"role": "system", "content": "short"}, {"role": "user", "content": "a poem"}], "max_tokens": 3}"""),
        ("/v1/chat/completions", """{"model": "poet", "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}], "max_completion_tokens": 2, "stream": true}"""),
        ("/v1/classify", """{"model": "spam", "input": ["win money now", "meeting at noon"]}"""),
        ("/v1/classify", """{"model": "rows", "input": [[1, 2, 3, 4]]}"""),
    ];

    [Fact]
    public async Task MutatedRequestsGetAnAnswerOrA4xxNeverA500()
    {
        // The route travels with the body: the first bytes up to a newline name it, so mutations stay on real routes.
        var seeds = Seeds.Select(s => Encoding.UTF8.GetBytes(s.Path + "\n" + s.Body)).ToList();
        var report = new Fuzzer(10) { MaxInputTime = TimeSpan.FromSeconds(30) }.Run("HTTP API", seeds, bytes =>
        {
            var text = bytes.AsSpan();
            int newline = text.IndexOf((byte)'\n');
            string path = newline > 0 ? Encoding.ASCII.GetString(text[..newline]) : "/v1/completions";
            if (!Seeds.Any(s => s.Path == path)) path = "/v1/completions";
            using var content = new ByteArrayContent(newline >= 0 ? text[(newline + 1)..].ToArray() : bytes);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
            using var response = fixture.Client.Send(request);
            int status = (int)response.StatusCode;
            using var reader = new StreamReader(response.Content.ReadAsStream());
            var body = reader.ReadToEnd();
            if (status >= 500) throw new InvalidOperationException($"{path} answered {status}: {body}");
            if (status >= 400 && !body.Contains("\"error\"")) throw new InvalidOperationException($"{path} answered {status} without an error object: {body}");
        }, _ => false);
        output.WriteLine(report.ToString());
        Fuzzer.AssertClean(report);
        var (code, _) = await Http.PostJson(fixture.Client, "/v1/completions", """{"model": "plain", "prompt": "the", "max_tokens": 2}""");
        Assert.Equal(200, code);
    }
}
