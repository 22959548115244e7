using Sapling.IO;
using Sapling.NN;

namespace Sapling.Models.DistilBert;

/// <summary>DistilBERT folders as transformers writes them: config.json and model.safetensors under its module names.</summary>
public static class DistilBertFolder
{
    private const string Prefix = "distilbert.";

    public static DistilBertConfig ReadConfig(string directory)
    {
        var path = Path.Combine(directory, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"model folder '{directory}' has no config.json", path);
        return DistilBertConfig.FromJson(File.ReadAllText(path), path);
    }

    /// <summary>The encoder; a task model's "distilbert." prefix is taken off and its head and vocab_* MLM layers left out.</summary>
    public static DistilBertModel Load(string directory)
    {
        var config = ReadConfig(directory);
        // Built without memory: every tensor takes the file's values (no random initialisation to throw away).
        DistilBertModel model;
        using (Tensor.Meta()) model = new DistilBertModel(config with { Labels = [], Architectures = ["DistilBertModel"] });
        // A task model's config lists its quantized layers under the prefix; the encoder's are the ones below it.
        var quantization = config.Quantization is { } q && (config.IsSequenceClassifier || config.IsTokenClassifier)
            ? q with { Modules = q.Modules.Where(m => m.StartsWith(Prefix, StringComparison.Ordinal)).Select(m => m[Prefix.Length..]).ToArray() }
            : config.Quantization;
        Bert.BertFolder.LoadWeights(directory, model, quantization, name =>
        {
            var key = name.StartsWith(Prefix, StringComparison.Ordinal) ? name[Prefix.Length..] : name;
            return key.StartsWith("embeddings.", StringComparison.Ordinal) || key.StartsWith("transformer.", StringComparison.Ordinal) ? key : null;
        });
        return model;
    }

    public static DistilBertForSequenceClassification LoadForSequenceClassification(string directory)
    {
        var config = ReadConfig(directory);
        if (!config.IsSequenceClassifier)
            throw new InvalidDataException($"{Path.Combine(directory, "config.json")}: architectures [{string.Join(", ", config.Architectures)}] is not DistilBertForSequenceClassification; fine-tune it with method classify to give it a head");
        DistilBertForSequenceClassification model;
        using (Tensor.Meta()) model = new DistilBertForSequenceClassification(config);
        Bert.BertFolder.LoadWeights(directory, model, config.Quantization, name => name);
        return model;
    }

    public static DistilBertForTokenClassification LoadForTokenClassification(string directory)
    {
        var config = ReadConfig(directory);
        if (!config.IsTokenClassifier)
            throw new InvalidDataException($"{Path.Combine(directory, "config.json")}: architectures [{string.Join(", ", config.Architectures)}] is not DistilBertForTokenClassification; fine-tune it with method token_classify to give it a head");
        DistilBertForTokenClassification model;
        using (Tensor.Meta()) model = new DistilBertForTokenClassification(config);
        Bert.BertFolder.LoadWeights(directory, model, config.Quantization, name => name);
        return model;
    }

    public static void Save(string directory, DistilBertModel model) => Save(directory, model, model.Config);

    /// <summary>Writes <paramref name="model"/>'s state under its module names and <paramref name="config"/> as config.json.</summary>
    public static void Save(string directory, Module model, DistilBertConfig config)
    {
        Directory.CreateDirectory(directory);
        SafeTensors.Save(Path.Combine(directory, "model.safetensors"), model.StateDict(), new Dictionary<string, string> { ["format"] = "pt" });
        AtomicFile.WriteAllText(Path.Combine(directory, "config.json"), config.ToJson());
    }
}
