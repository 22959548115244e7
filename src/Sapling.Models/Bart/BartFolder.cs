using Sapling.IO;

namespace Sapling.Models.Bart;

/// <summary>
/// BART and Marian folders as Hugging Face writes them: config.json and model.safetensors (or shards with an index).
/// The model is built without memory and its weights are then used in place (<see cref="WeightStorage"/>).
/// </summary>
public static class BartFolder
{
    private const string Shared = "model.shared.weight";

    /// <summary>Reads and validates <paramref name="directory"/>/config.json; refuses a folder without one.</summary>
    public static BartConfig ReadConfig(string directory)
    {
        var configPath = Path.Combine(directory, "config.json");
        if (!File.Exists(configPath)) throw new FileNotFoundException($"model folder '{directory}' has no config.json", configPath);
        return BartConfig.FromJson(File.ReadAllText(configPath), configPath);
    }

    /// <summary>
    /// Loads the model in evaluation mode. The shared embedding is read from model.shared.weight, or from the
    /// encoder's embed_tokens where a checkpoint kept only that copy; the other tied copies and Marian's sinusoidal
    /// position tables (a function of the config) are not read.
    /// </summary>
    public static BartForConditionalGeneration Load(string directory, WeightStorage storage = WeightStorage.Native)
    {
        var config = ReadConfig(directory);
        if (config.Quantization is { } quantization)
        {
            var quantized = new BartForConditionalGeneration(config);
            WeightLoader.AssignQuantized(quantized, directory, quantization, name =>
                name.EndsWith("embed_tokens.weight", StringComparison.Ordinal) || name == "lm_head.weight" && config.TieWordEmbeddings
                || config.SinusoidalPositions && name.EndsWith(".embed_positions.weight", StringComparison.Ordinal) ? null : name);
            quantized.Eval();
            return quantized;
        }
        using var weights = SafeTensorsFolder.Open(directory, inMemory: storage == WeightStorage.Native);
        if (config.ParameterCount > weights.TotalBytes)
            throw new InvalidDataException($"{Path.Combine(directory, "config.json")}: describes {config.ParameterCount:N0} parameters, but the weights hold only {weights.TotalBytes:N0} bytes; the config does not belong to these weights");
        BartForConditionalGeneration model;
        using (Tensor.Meta()) model = new BartForConditionalGeneration(config);
        string sharedName = weights.Contains(Shared) ? Shared : "model.encoder.embed_tokens.weight";
        WeightLoader.Assign(model, weights, storage,
            fileName: key => key == Shared ? sharedName : key,
            ignored: name => name != sharedName && (name is "model.encoder.embed_tokens.weight" or "model.decoder.embed_tokens.weight" || (config.TieWordEmbeddings && name == "lm_head.weight")
                || (config.SinusoidalPositions && name.EndsWith(".embed_positions.weight", StringComparison.Ordinal))));
        model.Eval();
        return model;
    }

    /// <summary>
    /// Writes config.json and model.safetensors under transformers' names (the tied head is not written; Marian's
    /// sinusoidal tables are, as transformers' own state_dict has them), atomically.
    /// </summary>
    public static void Save(string directory, BartForConditionalGeneration model) => Save(directory, model, model.Config);

    /// <summary>Writes <paramref name="model"/> under <paramref name="config"/> (an int8 copy's config names its quantized layers).</summary>
    public static void Save(string directory, BartForConditionalGeneration model, BartConfig config)
    {
        Directory.CreateDirectory(directory);
        AtomicFile.WriteAllText(Path.Combine(directory, "config.json"), config.ToJson());
        var state = model.StateDict().Where(e => !NN.Adapters.Lora.IsAdapterKey(e.Key)).ToDictionary(e => e.Key, e => e.Value);
        if (model.Config.SinusoidalPositions)
        {
            var table = BartPositions.Sinusoid(model.Config.MaxPositionEmbeddings, model.Config.DModel);
            state["model.encoder.embed_positions.weight"] = table;
            state["model.decoder.embed_positions.weight"] = table;
        }
        SafeTensors.Save(Path.Combine(directory, SafeTensorsFolder.SingleFile), state, new Dictionary<string, string> { ["format"] = "pt" });
    }
}
