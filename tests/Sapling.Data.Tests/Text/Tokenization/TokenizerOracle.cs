extern alias rust;

using System.IO.Compression;
using System.Text.Json;
using Sapling.Data.Text.Tokenization;

namespace Sapling.Data.Tests.Text.Tokenization;

/// <summary>
/// Hugging Face's Rust tokenizers library (NuGet Tokenizers.DotNet) as the oracle, and the texts compared on: the
/// committed texts.json (code, emoji, combining marks, full-width forms, astral letters, whitespace runs), the
/// embedded Tang poems, and the shared English, Chinese and e-mail corpora when the machine has them.
/// </summary>
internal static class TokenizerOracle
{
    public static string FixtureDirectory => Path.Combine(Testing.Fixtures.Directory, "tokenizers");

    public static string[] FixtureTexts { get; } = JsonSerializer.Deserialize<string[]>(File.ReadAllText(Path.Combine(FixtureDirectory, "texts.json")))!;

    /// <summary>The comparison corpus, at most <paramref name="perSource"/> documents from each shared file.</summary>
    public static List<string> Corpus(int perSource)
    {
        var texts = new List<string>(FixtureTexts);
        var tang = Path.GetFullPath(Path.Combine(Testing.Fixtures.Directory, "..", "..", "data", "zh-tang300.txt"));
        texts.AddRange(File.ReadAllText(tang).Split("\n%\n"));
        var shared = Path.GetFullPath(Path.Combine(Testing.Fixtures.Directory, "..", "..", "..", "shared", "datasets"));
        foreach (var name in new[] { "en-fortunes.txt", "zh-chinese.txt" })
            if (File.Exists(Path.Combine(shared, name))) texts.AddRange(File.ReadAllText(Path.Combine(shared, name)).Split("\n%\n").Take(perSource));
        var mail = Path.Combine(shared, "spam-assassin.jsonl.gz");
        if (File.Exists(mail))
        {
            using var reader = new StreamReader(new GZipStream(File.OpenRead(mail), CompressionMode.Decompress));
            for (int i = 0; i < perSource / 4 && reader.ReadLine() is { } line; i++)
                texts.Add(JsonDocument.Parse(line).RootElement.GetProperty("text").GetString()!);
        }
        return texts;
    }

    /// <summary>
    /// Every text encodes (with special tokens, which is what the Rust wrapper adds) to the Rust library's ids, and
    /// those ids decode (special tokens skipped) to the Rust library's text. The first differences are reported.
    /// </summary>
    public static void AssertSameAsRust(string tokenizerJson, PipelineTokenizer ours, IEnumerable<string> texts)
    {
        using var rust = new rust::Tokenizers.DotNet.Tokenizer(tokenizerJson);
        var failures = new List<string>();
        int count = 0;
        foreach (var text in texts)
        {
            count++;
            var expected = Array.ConvertAll(rust.Encode(text), x => (int)x);
            var actual = ours.Encode(text, addSpecialTokens: true);
            if (!expected.AsSpan().SequenceEqual(actual))
            {
                int at = 0;
                while (at < Math.Min(expected.Length, actual.Length) && expected[at] == actual[at]) at++;
                failures.Add($"{JsonSerializer.Serialize(text.Length > 80 ? text[..80] : text)}: first difference at {at}: Rust [{string.Join(",", expected.Skip(at).Take(5))}] ours [{string.Join(",", actual.Skip(at).Take(5))}]");
            }
            else
            {
                var expectedText = rust.Decode(Array.ConvertAll(expected, x => (uint)x));
                // transformers' clean-up, when the folder's tokenizer_config.json asks for it, comes after the pipeline.
                if (ours.CleanUpTokenizationSpaces) expectedText = PipelineTokenizer.CleanUp(expectedText);
                var actualText = ours.Decode(actual, skipSpecial: true);
                if (expectedText != actualText)
                    failures.Add($"{JsonSerializer.Serialize(text.Length > 80 ? text[..80] : text)}: decodes to {JsonSerializer.Serialize(actualText)}, Rust to {JsonSerializer.Serialize(expectedText)}");
            }
            if (failures.Count >= 5) break;
        }
        Assert.True(failures.Count == 0, $"{Path.GetFileName(tokenizerJson)}: {failures.Count} of {count} texts differ from Hugging Face's Rust library:\n" + string.Join("\n", failures));
    }
}
