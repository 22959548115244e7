using Sapling.IO;
using Sapling.NN;

namespace Sapling.Models.DistilBert;

/// <summary>DistilBERT folders as transformers writes them: config.json and model.safetensors under its module names.</summary>
public static class DistilBertFolder
{
    private const string Prefix = "distilbert.";

    /// <summary>Reads and validates <paramref name="directory"/>/config.json; refuses a folder without one.</summary>
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

    /// <summary>
    /// A DistilBertForSequenceClassification folder, head included; a folder without that head is refused.
    /// </summary>
    public static DistilBertForSequenceClassification LoadForSequenceClassification(string directory) =>
        LoadTaskModel(directory, c => c.IsSequenceClassifier, "DistilBertForSequenceClassification", "classify", c => new DistilBertForSequenceClassification(c));

    /// <summary>
    /// A DistilBertForTokenClassification folder, head included; a folder without that head is refused.
    /// </summary>
    public static DistilBertForTokenClassification LoadForTokenClassification(string directory) =>
        LoadTaskModel(directory, c => c.IsTokenClassifier, "DistilBertForTokenClassification", "token_classify", c => new DistilBertForTokenClassification(c));

    /// <summary>A task model, head included, built without memory and given the file's tensors; a folder whose
    /// architectures name another head is refused with the fine-tuning method that gives it this one.</summary>
    private static T LoadTaskModel<T>(string directory, Func<DistilBertConfig, bool> holds, string architecture, string method, Func<DistilBertConfig, T> build)
        where T : DistilBertTaskModel
    {
        var config = ReadConfig(directory);
        if (!holds(config))
            throw new InvalidDataException($"{Path.Combine(directory, "config.json")}: architectures [{string.Join(", ", config.Architectures)}] is not {architecture}; fine-tune it with method {method} to give it a head");
        T model;
        using (Tensor.Meta()) model = build(config);
        Bert.BertFolder.LoadWeights(directory, model, config.Quantization, name => name);
        return model;
    }

    /// <summary>Writes the encoder's config.json and model.safetensors to <paramref name="directory"/>.</summary>
    public static void Save(string directory, DistilBertModel model) => Save(directory, model, model.Config);

    /// <summary>Writes <paramref name="model"/>'s state under its module names and <paramref name="config"/> as config.json.</summary>
    public static void Save(string directory, Module model, DistilBertConfig config)
    {
        Directory.CreateDirectory(directory);
        SafeTensors.Save(Path.Combine(directory, "model.safetensors"), model.StateDict(), new Dictionary<string, string> { ["format"] = "pt" });
        AtomicFile.WriteAllText(Path.Combine(directory, "config.json"), config.ToJson());
    }
}
