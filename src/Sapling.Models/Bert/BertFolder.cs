using Sapling.IO;
using Sapling.NN;

namespace Sapling.Models.Bert;

/// <summary>BERT folders as Hugging Face writes them: config.json and model.safetensors under BertModel's names.</summary>
public static class BertFolder
{
    /// <summary>The folder's config file name.</summary>
    public const string ConfigFile = "config.json";
    /// <summary>The folder's weights file name.</summary>
    public const string WeightsFile = "model.safetensors";

    /// <summary>Reads and validates <paramref name="directory"/>/config.json; refuses a folder without one.</summary>
    public static BertConfig ReadConfig(string directory)
    {
        var configPath = Path.Combine(directory, ConfigFile);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"model folder '{directory}' has no {ConfigFile}", configPath);
        return BertConfig.FromJson(File.ReadAllText(configPath), configPath);
    }

    /// <summary>
    /// Loads the encoder in evaluation mode. A checkpoint's "bert." prefix (from BertFor... models) is taken off,
    /// the position_ids buffer older checkpoints carry is not needed, and task heads (cls.*, classifier.*) are left out.
    /// </summary>
    /// <param name="withPooler">false leaves a checkpoint's pooler out (a RoBERTa classifier reads the first token's state itself).</param>
    public static BertModel Load(string directory, bool withPooler = true)
    {
        var config = ReadConfig(directory);
        bool pooler = withPooler && config.AddPoolingLayer;
        // Built without memory: every tensor takes the file's values (no random initialisation to throw away).
        BertModel model;
        using (Tensor.Meta()) model = new BertModel(config with { Labels = [], Architectures = [config.ModelType == BertConfig.RobertaType ? "RobertaModel" : "BertModel"], AddPoolingLayer = pooler });
        // Task models put the encoder under their model_type ("bert.", "roberta.").
        var prefix = config.ModelType + ".";
        // A task model's config lists its quantized layers under the prefix; the encoder's are the ones below it.
        bool taskModel = config.Architectures.Any(a => a.Contains("For", StringComparison.Ordinal));
        var quantization = config.Quantization is { } q && taskModel
            ? q with { Modules = q.Modules.Where(m => m.StartsWith(prefix, StringComparison.Ordinal)).Select(m => m[prefix.Length..]).ToArray() }
            : config.Quantization;
        LoadWeights(directory, model, quantization, name =>
        {
            var key = name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : name;
            if (!pooler && key.StartsWith("pooler.", StringComparison.Ordinal)) return null;
            return key.StartsWith("cls.", StringComparison.Ordinal) || key.StartsWith("classifier.", StringComparison.Ordinal) || key.StartsWith("lm_head.", StringComparison.Ordinal) ? null : key;
        });
        return model;
    }

    /// <summary>A folder holding BertForSequenceClassification or RobertaForSequenceClassification (config architectures
    /// and id2label), head included.</summary>
    public static ISequenceClassifier LoadForSequenceClassification(string directory)
    {
        var config = ReadConfig(directory);
        if (!config.IsSequenceClassifier)
            throw new InvalidDataException($"{Path.Combine(directory, ConfigFile)}: architectures [{string.Join(", ", config.Architectures)}] is not a ...ForSequenceClassification; fine-tune it with method classify to give it a head");
        Module model;
        using (Tensor.Meta()) model = config.ModelType == BertConfig.RobertaType ? new Roberta.RobertaForSequenceClassification(config) : new BertForSequenceClassification(config);
        // A bare "embeddings.…" name (a BertModel export) would leave the head unset: only prefixed names belong here.
        LoadWeights(directory, model, config.Quantization, name => name.StartsWith("cls.", StringComparison.Ordinal) ? null : name);
        return (ISequenceClassifier)model;
    }

    /// <summary>A folder holding BertForTokenClassification or RobertaForTokenClassification (config architectures and
    /// id2label), head included.</summary>
    public static BertForTokenClassification LoadForTokenClassification(string directory)
    {
        var config = ReadConfig(directory);
        if (!config.IsTokenClassifier)
            throw new InvalidDataException($"{Path.Combine(directory, ConfigFile)}: architectures [{string.Join(", ", config.Architectures)}] is not a ...ForTokenClassification; fine-tune it with method token_classify to give it a head");
        BertForTokenClassification model;
        using (Tensor.Meta()) model = new BertForTokenClassification(config);
        LoadWeights(directory, model, config.Quantization, name => name.StartsWith("cls.", StringComparison.Ordinal) || name.Contains(".pooler.", StringComparison.Ordinal) ? null : name);
        return model;
    }

    /// <summary>A BertForMaskedLM folder (pre-training resumes or is evaluated from here): the encoder and the "cls"
    /// prediction head; the decoder tied to the word embeddings and a next-sentence head, if saved, are not read.</summary>
    public static BertForMaskedLM LoadForMaskedLM(string directory)
    {
        var config = ReadConfig(directory);
        BertForMaskedLM model;
        using (Tensor.Meta()) model = new BertForMaskedLM(config);
        LoadWeights(directory, model, config.Quantization, name => name.StartsWith("cls.predictions.decoder.", StringComparison.Ordinal) || name.StartsWith("cls.seq_relationship.", StringComparison.Ordinal) ? null : name);
        return model;
    }

    /// <summary>Reads a float model.safetensors into <paramref name="model"/>, renaming each tensor (null: leave it out);
    /// the position_ids buffer older checkpoints carry is never needed.</summary>
    internal static void LoadWeights(string directory, Module model, Func<string, string?> rename) => LoadWeights(directory, model, null, rename);

    internal static void LoadWeights(string directory, Module model, Compression.QuantizationConfig? quantization, Func<string, string?> rename)
    {
        if (quantization != null)
        {
            WeightLoader.AssignQuantized(model, directory, quantization, name => name.EndsWith("embeddings.position_ids", StringComparison.Ordinal) ? null : rename(name));
            model.Eval();
            return;
        }
        var weightsPath = Path.Combine(directory, WeightsFile);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"model folder '{directory}' has no {WeightsFile}", weightsPath);
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, value) in SafeTensors.LoadAll(weightsPath))
        {
            if (name.EndsWith("embeddings.position_ids", StringComparison.Ordinal) || rename(name) is not { } key) continue;
            weights[key] = value;
        }
        Warnings.WarnNonFinite(weightsPath, weights);
        try
        {
            // The model may be built inside Tensor.Meta: its tensors take the loaded ones (no second copy either way).
            model.LoadStateDict(weights, assign: true);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"{weightsPath} does not match {Path.Combine(directory, ConfigFile)}: {e.Message}", e);
        }
        model.Eval();
    }

    /// <summary>Writes the encoder's config.json and model.safetensors to <paramref name="directory"/>.</summary>
    public static void Save(string directory, BertModel model) => Save(directory, model, model.Config);

    /// <summary>A task model (classifier, tagger, masked-LM) with its config; a masked-LM's decoder is the word embeddings,
    /// so only "cls.predictions.bias" and the transform are written for it, as transformers does.</summary>
    public static void Save(string directory, BertTaskModel model) => Save(directory, model, model.Config);

    /// <summary>Writes <paramref name="model"/>'s state under its module names and <paramref name="config"/> as config.json.</summary>
    public static void Save(string directory, Module model, BertConfig config)
    {
        Directory.CreateDirectory(directory);
        SafeTensors.Save(Path.Combine(directory, WeightsFile), model.StateDict(), new Dictionary<string, string> { ["format"] = "pt" });
        AtomicFile.WriteAllText(Path.Combine(directory, ConfigFile), config.ToJson());
    }
}
