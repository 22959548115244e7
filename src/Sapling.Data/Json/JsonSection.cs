using System.Text.Json.Nodes;

namespace Sapling.Data.Json;

/// <summary>
/// One object of a JSON file and where it sits (<c>$.pre_tokenizer.pretokenizers[0]</c> in a tokenizer.json,
/// <c>$.rope_scaling</c> in a config.json), so every complaint names the file and the JSON path of the offending value.
/// </summary>
public readonly struct JsonSection(JsonObject node, string path, string file)
{
    /// <summary>The JSON object this section reads.</summary>
    public JsonObject Node { get; } = node;
    /// <summary>The object's JSON path from the document root, e.g. <c>$.model</c>, used in error messages.</summary>
    public string Path { get; } = path;
    /// <summary>The file the object came from, used in error messages.</summary>
    public string File { get; } = file;

    /// <summary>The top-level object of a JSON document (a config.json), or an error naming the file when it is not one.</summary>
    public static JsonSection Parse(string json, string file)
    {
        try
        {
            return JsonNode.Parse(json) is JsonObject root ? new JsonSection(root, "$", file) : throw new InvalidDataException($"{file}: not a JSON object");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{file}: not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>
    /// An error about this object as a whole, prefixed with the file and the object's path (not thrown here).
    /// </summary>
    public InvalidDataException Error(string message) => new($"{File}: {Path}: {message}");

    /// <summary>
    /// An error about the value at <paramref name="key"/>, prefixed with the file and its path (not thrown here).
    /// </summary>
    public InvalidDataException Error(string key, string message) => new($"{File}: {Path}.{key}: {message}");

    /// <summary>The component's "type", which must be a string.</summary>
    public string Type => OptionalString("type") ?? throw Error("type", "missing; every component names its type");

    /// <summary>Whether <paramref name="key"/> is present with a non-null value.</summary>
    public bool Has(string key) => Node[key] is not null;

    /// <summary>The string at <paramref name="key"/>; throws when it is missing, null or not a string.</summary>
    public string String(string key) => OptionalString(key) ?? throw Error(key, "missing (a string is required)");

    /// <summary>
    /// The string at <paramref name="key"/>, or null when missing or null; throws when it is another kind of value.
    /// </summary>
    public string? OptionalString(string key) => Node[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out string? s) => s,
        var other => throw Error(key, $"is {Describe(other)}, not a string"),
    };

    /// <summary>
    /// The boolean at <paramref name="key"/>, or <paramref name="missing"/> when absent or null; throws for any other
    /// value.
    /// </summary>
    public bool Bool(string key, bool missing) => Node[key] switch
    {
        null => missing,
        JsonValue v when v.TryGetValue(out bool b) => b,
        var other => throw Error(key, $"is {Describe(other)}, not true or false"),
    };

    /// <summary>
    /// The integer at <paramref name="key"/>, or <paramref name="missing"/> when absent or null; throws when the value
    /// is not an integer in [<paramref name="min"/>, <paramref name="max"/>].
    /// </summary>
    public int Int(string key, int missing, int min = 0, int max = int.MaxValue)
    {
        if (Node[key] is null) return missing;
        if (TryGetInteger(Node[key], out long n) && n >= min && n <= max) return (int)n;
        throw Error(key, $"is {Describe(Node[key])}, not an integer from {min} to {max}");
    }

    /// <summary>A non-negative integer or a list of them (Hugging Face's eos_token_id); empty when absent.</summary>
    public int[] IntOrList(string key)
    {
        if (Node[key] is null) return [];
        if (Node[key] is not JsonArray list) return [Int(key, 0)];
        var values = new int[list.Count];
        for (int i = 0; i < values.Length; i++)
            values[i] = TryGetInteger(list[i], out long v) && v >= 0 && v <= int.MaxValue ? (int)v : throw Error($"{key}[{i}]", $"is {Describe(list[i])}, not a non-negative integer");
        return values;
    }

    /// <summary>
    /// The number at <paramref name="key"/>, or null when absent or null; throws when it is not a number.
    /// </summary>
    public double? OptionalDouble(string key) => Node[key] switch
    {
        null => null,
        var other when TryGetNumber(other, out double d) => d,
        var other => throw Error(key, $"is {Describe(other)}, not a number"),
    };

    /// <summary>
    /// The object at <paramref name="key"/> as a section with its own path; throws when missing or not an object.
    /// </summary>
    public JsonSection Object(string key) => OptionalObject(key) ?? throw Error(key, "missing (an object is required)");

    /// <summary>
    /// The object at <paramref name="key"/> as a section, or null when absent or null; throws for any other value.
    /// </summary>
    public JsonSection? OptionalObject(string key) => Node[key] switch
    {
        null => null,
        JsonObject o => new JsonSection(o, $"{Path}.{key}", File),
        var other => throw Error(key, $"is {Describe(other)}, not an object"),
    };

    /// <summary>The array at <paramref name="key"/>; throws when it is missing or not an array.</summary>
    public JsonArray Array(string key) => Node[key] as JsonArray ?? throw Error(key, Node[key] is null ? "missing (an array is required)" : $"is {Describe(Node[key])}, not an array");

    /// <summary>The objects of an array, each with its own path.</summary>
    public IEnumerable<JsonSection> Objects(string key)
    {
        var array = Array(key);
        for (int i = 0; i < array.Count; i++)
            yield return array[i] is JsonObject o ? new JsonSection(o, $"{Path}.{key}[{i}]", File) : throw Error($"{key}[{i}]", $"is {Describe(array[i])}, not an object");
    }

    /// <summary>A one-character setting (Metaspace's replacement, Strip's content).</summary>
    public string Character(string key, string missing)
    {
        var s = OptionalString(key) ?? missing;
        if (s.Length == 0 || (s.Length == 2 && !char.IsSurrogatePair(s[0], s[1])) || s.Length > 2)
            throw Error(key, $"'{s}' is not a single character");
        return s;
    }

    /// <summary>An integer value, whether the node was parsed or built in memory from an int or a long.</summary>
    public static bool TryGetInteger(JsonNode? node, out long value)
    {
        value = 0;
        if (node is not JsonValue v) return false;
        if (v.TryGetValue(out long l)) { value = l; return true; }
        if (v.TryGetValue(out int i)) { value = i; return true; }
        return false;
    }

    /// <summary>A number, parsed or built in memory from a double, float, int or long.</summary>
    public static bool TryGetNumber(JsonNode? node, out double value)
    {
        value = 0;
        if (node is not JsonValue v) return false;
        if (v.TryGetValue(out double d)) { value = d; return true; }
        if (v.TryGetValue(out float f)) { value = f; return true; }
        if (TryGetInteger(node, out long l)) { value = l; return true; }
        return false;
    }

    /// <summary>
    /// A short description of a value for error messages: "null", "an object", "an array", or its JSON text.
    /// </summary>
    public static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        _ => node.ToJsonString(),
    };
}
