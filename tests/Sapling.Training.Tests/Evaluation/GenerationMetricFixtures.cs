using System.Text.Json;
using Sapling.Training.Evaluation;
using Sapling.Testing;

namespace Sapling.Training.Tests.Evaluation;

/// <summary>One case of tests/fixtures/generation_metrics.json (written by make_generation_metric_fixtures.py with NLTK).</summary>
public sealed record GenerationCase(
    string Name,
    TokenizeMode Tokenize,
    string[] Hypotheses,
    string[][] References,
    string[][] HypothesisTokens,
    string[][][] ReferenceTokens,
    JsonElement Expected)
{
    public IReadOnlyList<IReadOnlyList<string>> HypothesisLists => HypothesisTokens;

    public IReadOnlyList<IReadOnlyList<IReadOnlyList<string>>> ReferenceLists =>
        ReferenceTokens.Select(refs => (IReadOnlyList<IReadOnlyList<string>>)refs).ToArray();

    public IReadOnlyList<IReadOnlyList<string>> ReferenceLines => References;

    public double Score(params string[] path)
    {
        var e = Expected;
        foreach (var key in path) e = e.GetProperty(key);
        return e.GetDouble();
    }

    public override string ToString() => Name;
}

public static class GenerationMetricFixtures
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Directory, "generation_metrics.json"))));

    public static IReadOnlyList<GenerationCase> Cases { get; } = Document.Value.RootElement.GetProperty("cases")
        .EnumerateArray()
        .Select(c => new GenerationCase(
            c.GetProperty("name").GetString()!,
            GenerationTokenizer.ParseMode(c.GetProperty("tokenize").GetString()!),
            Strings(c.GetProperty("hypotheses")),
            c.GetProperty("references").EnumerateArray().Select(Strings).ToArray(),
            c.GetProperty("hypothesis_tokens").EnumerateArray().Select(Strings).ToArray(),
            c.GetProperty("reference_tokens").EnumerateArray().Select(r => r.EnumerateArray().Select(Strings).ToArray()).ToArray(),
            c))
        .ToList();

    public static TheoryData<string> Names() => new(Cases.Select(c => c.Name));

    public static GenerationCase Case(string name) => Cases.Single(c => c.Name == name);

    private static string[] Strings(JsonElement e) => e.EnumerateArray().Select(x => x.GetString()!).ToArray();
}
