using Sapling.IO;

namespace Sapling.Models.Llama;

/// <summary>
/// Llama-family folders as Hugging Face writes them: config.json and model.safetensors, or shards with
/// model.safetensors.index.json. The model is built without memory and its weights are then used in place
/// (<see cref="WeightStorage"/>), so a bf16 checkpoint stays bf16 and nothing is copied on load.
/// </summary>
public static class LlamaFolder
{
    /// <summary>Reads and validates <paramref name="directory"/>/config.json; refuses a folder without one.</summary>
    public static LlamaConfig ReadConfig(string directory)
    {
        var configPath = Path.Combine(directory, "config.json");
        if (!File.Exists(configPath)) throw new FileNotFoundException($"model folder '{directory}' has no config.json", configPath);
        return LlamaConfig.FromJson(File.ReadAllText(configPath), configPath);
    }

    /// <summary>
    /// Loads the model in <paramref name="directory"/> in eval mode. <paramref name="storage"/> says whether the
    /// weights are read into memory or used from the mapped files; an int8 folder Sapling wrote loads its int8 layers.
    /// A config describing more parameters than the files hold bytes is refused.
    /// </summary>
    public static LlamaForCausalLM Load(string directory, WeightStorage storage = WeightStorage.Native)
    {
        var config = ReadConfig(directory);
        if (config.Quantization is { } quantization)
        {
            // An int8 folder Sapling wrote: the listed layers take their int8 values, norms (and a float head) float32.
            LlamaForCausalLM quantized;
            using (Tensor.Meta()) quantized = new LlamaForCausalLM(config);
            WeightLoader.AssignQuantized(quantized, directory, quantization, name => config.TieWordEmbeddings && name == "lm_head.weight" ? null : name);
            quantized.Eval();
            return quantized;
        }
        using var weights = SafeTensorsFolder.Open(directory, inMemory: storage == WeightStorage.Native);
        // Every parameter takes at least one byte in the files: a config describing more is not these weights'.
        if (config.ParameterCount > weights.TotalBytes)
            throw new InvalidDataException($"{Path.Combine(directory, "config.json")}: describes {config.ParameterCount:N0} parameters, but the weights hold only {weights.TotalBytes:N0} bytes; the config does not belong to these weights");
        LlamaForCausalLM model;
        using (Tensor.Meta()) model = new LlamaForCausalLM(config);
        // A tied checkpoint may still carry lm_head.weight (a copy of the embedding); it is not a parameter here.
        WeightLoader.Assign(model, weights, storage, ignored: name => config.TieWordEmbeddings && name == "lm_head.weight");
        model.Eval();
        return model;
    }

    /// <summary>Writes config.json and model.safetensors (Hugging Face's names; a tied head is not written), atomically.</summary>
    public static void Save(string directory, LlamaForCausalLM model) => Save(directory, model, model.Config);

    /// <summary>Writes <paramref name="model"/> under <paramref name="config"/> (an int8 copy's config names its quantized layers).</summary>
    public static void Save(string directory, LlamaForCausalLM model, LlamaConfig config)
    {
        Directory.CreateDirectory(directory);
        AtomicFile.WriteAllText(Path.Combine(directory, "config.json"), config.ToJson());
        var state = model.StateDict().Where(e => !NN.Adapters.Lora.IsAdapterKey(e.Key)).ToDictionary(e => e.Key, e => e.Value);
        SafeTensors.Save(Path.Combine(directory, SafeTensorsFolder.SingleFile), state, new Dictionary<string, string> { ["format"] = "pt" });
    }
}
