using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sapling.Testing;

namespace Sapling.Export.Tests;

/// <summary>Runs an exported file in ONNX Runtime by way of tests/onnx-runtime/runner.js and reads the outputs back.</summary>
public static class OnnxRuntime
{
    /// <summary>Why the runtime cannot be used here, or null when it can.</summary>
    public static string? MissingReason()
    {
        var folder = RepositoryPaths.OnnxRuntimeFolder;
        if (folder == null) return "ONNX Runtime check skipped: the repository root (Sapling.slnx) was not found above the test binary";
        if (RepositoryPaths.Node == null) return "ONNX Runtime check skipped: node is not on PATH (install Node.js, e.g. apt-get install nodejs npm)";
        if (!File.Exists(Path.Combine(folder, "node_modules", "onnxruntime-node", "package.json")))
            return "ONNX Runtime check skipped: onnxruntime-node is not installed; run `npm install --ignore-scripts` in tests/onnx-runtime";
        return null;
    }

    /// <summary>An input feed in runner.js's format (float32 or int64).</summary>
    public static JsonObject Feed(Tensor tensor) => tensor.DType == DType.Int64
        ? new JsonObject { ["type"] = "int64", ["dims"] = Dims(tensor), ["data"] = new JsonArray(tensor.Contiguous().ToArray<long>().Select(v => (JsonNode)v).ToArray()) }
        : new JsonObject { ["type"] = "float32", ["dims"] = Dims(tensor), ["data"] = new JsonArray(tensor.Contiguous().ToArray<float>().Select(v => (JsonNode)v).ToArray()) };

    /// <summary>Runs the model once per feed set; returns each run's outputs by name, as (dims, values).</summary>
    public static List<Dictionary<string, (int[] Dims, float[] Data)>> Run(string modelPath, IEnumerable<Dictionary<string, Tensor>> runs)
    {
        var feeds = new JsonObject { ["runs"] = new JsonArray(runs.Select(r => (JsonNode)new JsonObject(r.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Feed(p.Value))))).ToArray()) };
        var feedsPath = Path.ChangeExtension(modelPath, ".feeds.json");
        File.WriteAllText(feedsPath, feeds.ToJsonString());
        var folder = RepositoryPaths.OnnxRuntimeFolder!;
        var start = new ProcessStartInfo(RepositoryPaths.Node!, [Path.Combine(folder, "runner.js"), modelPath, feedsPath])
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill();
            throw new TimeoutException("node runner.js did not finish in 2 minutes");
        }
        if (process.ExitCode != 0) throw new InvalidOperationException($"ONNX Runtime rejected or failed on {modelPath}:\n{stderr.Result}");
        using var doc = JsonDocument.Parse(stdout);
        var results = new List<Dictionary<string, (int[], float[])>>();
        foreach (var run in doc.RootElement.GetProperty("runs").EnumerateArray())
        {
            var outputs = new Dictionary<string, (int[], float[])>();
            foreach (var output in run.EnumerateObject())
                outputs[output.Name] = (output.Value.GetProperty("dims").EnumerateArray().Select(d => d.GetInt32()).ToArray(),
                    output.Value.GetProperty("data").EnumerateArray().Select(d => d.GetSingle()).ToArray());
            results.Add(outputs);
        }
        return results;
    }

    private static JsonArray Dims(Tensor t) => new(t.Shape.ToArray().Select(d => (JsonNode)d).ToArray());
}
