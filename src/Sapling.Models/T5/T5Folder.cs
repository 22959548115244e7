using Sapling.IO;

namespace Sapling.Models.T5;

/// <summary>
/// T5 folders as Hugging Face writes them: config.json and model.safetensors (or shards with an index). The model is
/// built without memory and its weights are then used in place (<see cref="WeightStorage"/>).
/// </summary>
public static class T5Folder
{
    /// <summary>Reads and validates <paramref name="directory"/>/config.json; refuses a folder without one.</summary>
    public static T5Config ReadConfig(string directory)
    {
        var configPath = Path.Combine(directory, "config.json");
        if (!File.Exists(configPath)) throw new FileNotFoundException($"model folder '{directory}' has no config.json", configPath);
        return T5Config.FromJson(File.ReadAllText(configPath), configPath);
    }

    /// <summary>Loads the model in evaluation mode; the stacks' tied copies of the embedding (and a tied lm_head, if saved) are not read.</summary>
    public static T5ForConditionalGeneration Load(string directory, WeightStorage storage = WeightStorage.Native)
    {
        var config = ReadConfig(directory);
        if (config.Quantization is { } quantization)
        {
            var quantized = new T5ForConditionalGeneration(config);
            WeightLoader.AssignQuantized(quantized, directory, quantization, name =>
                name.EndsWith("embed_tokens.weight", StringComparison.Ordinal) || name == "lm_head.weight" && config.TieWordEmbeddings ? null : name);
            quantized.Eval();
            return quantized;
        }
        using var weights = SafeTensorsFolder.Open(directory, inMemory: storage == WeightStorage.Native);
        if (config.ParameterCount > weights.TotalBytes)
            throw new InvalidDataException($"{Path.Combine(directory, "config.json")}: describes {config.ParameterCount:N0} parameters, but the weights hold only {weights.TotalBytes:N0} bytes; the config does not belong to these weights");
        T5ForConditionalGeneration model;
        using (Tensor.Meta()) model = new T5ForConditionalGeneration(config);
        string shared = weights.Contains("shared.weight") ? "shared.weight" : "encoder.embed_tokens.weight";
        WeightLoader.Assign(model, weights, storage,
            fileName: key => key == "shared.weight" ? shared : key,
            ignored: name => name != shared && (name is "encoder.embed_tokens.weight" or "decoder.embed_tokens.weight" || (config.TieWordEmbeddings && name == "lm_head.weight")));
        model.Eval();
        return model;
    }

    /// <summary>Writes config.json and model.safetensors under transformers' names (tied copies not written), atomically.</summary>
    public static void Save(string directory, T5ForConditionalGeneration model) => Save(directory, model, model.Config);

    /// <summary>Writes <paramref name="model"/> under <paramref name="config"/> (an int8 copy's config names its quantized layers).</summary>
    public static void Save(string directory, T5ForConditionalGeneration model, T5Config config)
    {
        Directory.CreateDirectory(directory);
        AtomicFile.WriteAllText(Path.Combine(directory, "config.json"), config.ToJson());
        var state = model.StateDict().Where(e => !NN.Adapters.Lora.IsAdapterKey(e.Key)).ToDictionary(e => e.Key, e => e.Value);
        SafeTensors.Save(Path.Combine(directory, SafeTensorsFolder.SingleFile), state, new Dictionary<string, string> { ["format"] = "pt" });
    }
}
