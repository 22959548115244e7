using System.Text.Json;
using Sapling.Testing;

namespace Sapling.Data.Tests.Text.Jinja;

/// <summary>tests/fixtures/chat_templates.json, written by make_chat_template_fixtures.py with Jinja2 in transformers' environment.</summary>
internal static class ChatTemplateFixtures
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Directory, "chat_templates.json"))));

    public static JsonElement Root => Document.Value.RootElement;

    public static IEnumerable<JsonElement> ChatCases => Root.GetProperty("chat").EnumerateArray();

    public static JsonElement Chat(string name) => ChatCases.Single(c => c.GetProperty("name").GetString() == name);

    public static JsonElement Feature(string name) => Root.GetProperty("features").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    public static TheoryData<string> ChatNames() => [.. ChatCases.Select(c => c.GetProperty("name").GetString()!)];

    public static TheoryData<string> FeatureNames() => [.. Root.GetProperty("features").EnumerateArray().Select(c => c.GetProperty("name").GetString()!)];

    /// <summary>A JSON value as the .NET values templates take: ordered dictionaries, lists, long or double, strings, bools, null.</summary>
    public static object? ToValue(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => ToDictionary(e),
        JsonValueKind.Array => e.EnumerateArray().Select(ToValue).ToList(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out long l) ? (object)l : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    public static OrderedDictionary<string, object?> ToDictionary(JsonElement e)
    {
        var d = new OrderedDictionary<string, object?>();
        foreach (var p in e.EnumerateObject()) d[p.Name] = ToValue(p.Value);
        return d;
    }

    public static string? Text(JsonElement e, string property) => e.TryGetProperty(property, out var v) ? v.GetString() : null;
}
