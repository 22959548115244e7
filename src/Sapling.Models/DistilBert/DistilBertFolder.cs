using Sapling.IO;
using Sapling.NN;

namespace Sapling.Models.DistilBert;

/// <summary>DistilBERT folders as transformers writes them: config.json and model.safetensors under its module names.</summary>
public static class DistilBertFolder
{
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
        var model = new DistilBertModel(config with { Labels = [], Architectures = ["DistilBertModel"] });
        Bert.BertFolder.LoadWeights(directory, model, name =>
        {
            var key = name.StartsWith("distilbert.", StringComparison.Ordinal) ? name["distilbert.".Length..] : name;
            return key.StartsWith("embeddings.", StringComparison.Ordinal) || key.StartsWith("transformer.", StringComparison.Ordinal) ? key : null;
        });
        return model;
    }

    public static DistilBertForSequenceClassification LoadForSequenceClassification(string directory)
    {
        var config = ReadConfig(directory);
        if (!config.IsSequenceClassifier)
            throw new InvalidDataException($"{Path.Combine(directory, "config.json")}: architectures [{string.Join(", ", config.Architectures)}] is not DistilBertForSequenceClassification; fine-tune it with method classify to give it a head");
        var model = new DistilBertForSequenceClassification(config);
        Bert.BertFolder.LoadWeights(directory, model, name => name);
        return model;
    }

    public static void Save(string directory, Module model, DistilBertConfig config)
    {
        Directory.CreateDirectory(directory);
        SafeTensors.Save(Path.Combine(directory, "model.safetensors"), model.StateDict(), new Dictionary<string, string> { ["format"] = "pt" });
        AtomicFile.WriteAllText(Path.Combine(directory, "config.json"), config.ToJson());
    }
}
