using System.Text.Json;

namespace Sapling.Models;

/// <summary>What a model folder (or GGUF file) holds, told from its config.json before any loader runs.</summary>
public static class ModelFolder
{
    /// <summary>Reads config.json once to tell the folder's kind (a GGUF file is a language model); the loaders then check the rest.</summary>
    public static ModelKind KindOf(string directory)
    {
        if (Gguf.GgufModel.IsGgufPath(directory)) return ModelKind.LanguageModel;
        var configPath = Path.Combine(directory, "config.json");
        if (!File.Exists(configPath)) throw new FileNotFoundException($"model folder '{directory}' has no config.json", configPath);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{configPath}: not a JSON object");
            if (!root.TryGetProperty("model_type", out var type) || type.ValueKind != JsonValueKind.String)
                return ModelKind.Classifier;
            var family = ModelRegistry.Find(type.GetString()!)
                ?? throw new NotSupportedException($"{configPath}: model_type '{type.GetString()}' is not one Sapling knows ({string.Join(", ", ModelRegistry.ModelTypes)})");
            bool Declares(string suffix) => root.TryGetProperty("architectures", out var architectures) && architectures.ValueKind == JsonValueKind.Array
                && architectures.EnumerateArray().Any(a => a.ValueKind == JsonValueKind.String && a.GetString()!.EndsWith(suffix, StringComparison.Ordinal));
            if (family.LoadSequenceClassifier != null && Declares("ForSequenceClassification")) return ModelKind.TextClassifier;
            if (family.LoadTokenClassifier != null && Declares("ForTokenClassification")) return ModelKind.TokenClassifier;
            return family.Kind;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{configPath}: not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>True when config.json has a quantization entry (int8 weights; see <see cref="Compression.QuantizationConfig"/>).</summary>
    public static bool IsQuantized(string directory)
    {
        var configPath = Path.Combine(directory, "config.json");
        if (!File.Exists(configPath)) throw new FileNotFoundException($"model folder '{directory}' has no config.json", configPath);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("quantization", out var q) && q.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{configPath}: not valid JSON ({e.Message})", e);
        }
    }
}
