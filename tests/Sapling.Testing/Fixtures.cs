using System.Text.Json;

namespace Sapling.Testing;

/// <summary>One recorded op from tests/fixtures/ops.json: its inputs, outputs, upstream gradient and input gradients.</summary>
public sealed record OpFixture(string Name, Tensor[] Inputs, Tensor[] Outputs, Tensor? Upstream, Tensor?[] Grads);

/// <summary>Reads the reference fixtures that tests/fixtures/make_fixtures.py wrote with PyTorch.</summary>
public static class Fixtures
{
    private static readonly Lazy<JsonDocument> Ops = new(() => JsonDocument.Parse(File.ReadAllText(Path.Combine(FindFixtureDirectory(), "ops.json"))));

    /// <summary>The tests/fixtures folder, found by walking up from the test binary.</summary>
    public static string Directory { get; } = FindFixtureDirectory();

    /// <summary>The embedded digits (data/digits.csv.gz at the repository root), the small real data set tests train on.</summary>
    public static string DigitsPath => Path.GetFullPath(Path.Combine(Directory, "..", "..", "data", "digits.csv.gz"));

    /// <summary>Names of the single-op cases (module cases, named "nn.*", are replayed by the NN tests).</summary>
    public static IEnumerable<string> OpNames()
    {
        foreach (var p in Ops.Value.RootElement.GetProperty("cases").EnumerateObject())
            if (!p.Name.StartsWith("nn.", StringComparison.Ordinal)) yield return p.Name;
    }

    public static OpFixture Op(string name)
    {
        if (!Ops.Value.RootElement.GetProperty("cases").TryGetProperty(name, out var c))
            throw new KeyNotFoundException($"fixture '{name}' is not in ops.json; regenerate with /usr/bin/python3 tests/fixtures/make_fixtures.py");
        var inputs = c.GetProperty("inputs").EnumerateArray().Select(ReadTensor).ToArray();
        var outputs = c.GetProperty("outputs").EnumerateArray().Select(ReadTensor).ToArray();
        Tensor? upstream = c.TryGetProperty("upstream", out var u) ? ReadTensor(u) : null;
        Tensor?[] grads = c.TryGetProperty("grads", out var g)
            ? g.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? null : ReadTensor(e)).ToArray()
            : new Tensor?[inputs.Length];
        return new OpFixture(name, inputs, outputs, upstream, grads);
    }

    /// <summary>A float32 tensor written as {"shape": [...], "data": [...]} without a dtype field (the encoder oracles).</summary>
    public static Tensor ReadFloatTensor(JsonElement e)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        return Tensor.FromArray(e.GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray(), shape);
    }

    /// <summary>A state dict written as {name: {"shape", "data"}} (the transformer oracles' "weights").</summary>
    public static Dictionary<string, Tensor> ReadWeights(JsonElement e)
    {
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var w in e.EnumerateObject()) weights[w.Name] = ReadFloatTensor(w.Value);
        return weights;
    }

    /// <summary>The largest absolute difference between two float tensors of one shape (shapes are asserted equal).</summary>
    public static double LargestDifference(Tensor expected, Tensor actual)
    {
        Xunit.Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        var e = expected.Contiguous().ToArray<float>();
        var a = actual.Contiguous().ToArray<float>();
        double worst = 0;
        for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - e[i]));
        return worst;
    }

    /// <summary>int64 [rows, columns] from a JSON array of equal-length rows of ids (input_ids, attention_mask).</summary>
    public static Tensor ReadIdRows(JsonElement e)
    {
        var rows = e.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        return Tensor.FromArray(rows.SelectMany(r => r).ToArray(), rows.Length, rows[0].Length);
    }

    public static Tensor ReadTensor(JsonElement e)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        var data = e.GetProperty("data");
        switch (e.GetProperty("dtype").GetString())
        {
            case "float32":
                return Tensor.FromArray(data.EnumerateArray().Select(ReadFloat).ToArray(), shape.Length == 0 ? [] : shape).ReshapeTo(shape);
            case "int64":
                return Tensor.FromArray(data.EnumerateArray().Select(x => x.GetInt64()).ToArray(), shape.Length == 0 ? [] : shape).ReshapeTo(shape);
            case "bool":
                return Tensor.FromArray(data.EnumerateArray().Select(x => x.GetBoolean()).ToArray(), shape.Length == 0 ? [] : shape).ReshapeTo(shape);
            default:
                throw new InvalidDataException($"unknown fixture dtype {e.GetProperty("dtype").GetString()}");
        }
    }

    private static Tensor ReshapeTo(this Tensor t, int[] shape) => shape.Length == 0 ? t.Reshape() : t;

    private static float ReadFloat(JsonElement x) => x.ValueKind == JsonValueKind.String
        ? x.GetString() switch { "nan" => float.NaN, "inf" => float.PositiveInfinity, "-inf" => float.NegativeInfinity, var s => float.Parse(s!) }
        : x.GetSingle();

    private static string FindFixtureDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures");
            if (File.Exists(Path.Combine(candidate, "ops.json"))) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/fixtures/ops.json not found above {AppContext.BaseDirectory}");
    }
}
