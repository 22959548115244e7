using Sapling.IO;

namespace Sapling.Models.Gpt;

/// <summary>
/// GPT-2 model folders as Hugging Face writes them: config.json + model.safetensors, with tensor names with or
/// without the "transformer." prefix, an optional lm_head.weight (tied to wte), and the causal-mask buffers older
/// checkpoints carry (attn.bias, attn.masked_bias), which this implementation computes instead of storing.
/// </summary>
public static class GptFolder
{
    /// <summary>Loads the folder as trainable float32 (what fine-tuning and the int8 quantizer start from).</summary>
    public static GptModel Load(string directory) => Load(directory, WeightStorage.Float32);

    /// <summary>
    /// Loads the folder with its weight matrices where <paramref name="storage"/> says: in place from the mapped file
    /// (inference: no copy, resident memory is the pages in use), in native memory, or as trainable float32.
    /// </summary>
    public static GptModel Load(string directory, WeightStorage storage)
    {
        var configPath = Path.Combine(directory, "config.json");
        var weightsPath = Path.Combine(directory, "model.safetensors");
        if (!File.Exists(configPath)) throw new FileNotFoundException($"model folder '{directory}' has no config.json", configPath);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"model folder '{directory}' has no model.safetensors (convert .bin checkpoints to safetensors first)", weightsPath);
        var config = GptConfig.FromJson(File.ReadAllText(configPath), configPath);
        config.CheckAgainstWeights(configPath, weightsPath);
        if (config.Quantization == null)
        {
            GptModel built;
            using (Tensor.Meta()) built = NewModel(config);
            using var weights = SafeTensorsFolder.Open(directory, inMemory: storage == WeightStorage.Native);
            // The file's names may carry the "transformer." prefix (GPT2LMHeadModel, and classifiers' bodies).
            bool prefixed = weights.Names.Any(n => n.StartsWith("transformer.", StringComparison.Ordinal));
            try
            {
                WeightLoader.Assign(built, weights, storage,
                    key => prefixed && !key.StartsWith("score.", StringComparison.Ordinal) ? "transformer." + key : key,
                    name => ModelKey(name, config, weightsPath) == null);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{weightsPath} does not match {configPath}: {e.Message}", e);
            }
            built.Eval();
            return built;
        }
        GptModel model;
        using (Tensor.Meta()) model = NewModel(config);
        WeightLoader.AssignQuantized(model, directory, config.Quantization, name => ModelKey(name, config, weightsPath));
        model.Eval();
        return model;
    }

    private static GptModel NewModel(GptConfig config)
    {
        var model = new GptModel(config);
        if (config.IsClassifier) model.AddClassificationHead(config.Labels, config.PadTokenId ?? 0, config.ClassifierPooling ?? "last");
        return model;
    }

    /// <summary>
    /// The model's name for a tensor of the file: without the "transformer." prefix; null for the causal-mask buffers
    /// older checkpoints carry and for lm_head.weight, which is tied to wte.
    /// </summary>
    private static string? ModelKey(string name, GptConfig config, string weightsPath)
    {
        var key = name.StartsWith("transformer.", StringComparison.Ordinal) ? name["transformer.".Length..] : name;
        if (key.EndsWith(".attn.bias", StringComparison.Ordinal) || key.EndsWith(".attn.masked_bias", StringComparison.Ordinal)) return null;
        if (key == "lm_head.weight")
        {
            if (!config.TieWordEmbeddings) throw new NotSupportedException($"{weightsPath}: untied output heads (tie_word_embeddings: false) are not supported yet");
            return null;
        }
        return key;
    }

    /// <summary>
    /// Writes config.json and model.safetensors (names without prefix, as GPT2Model saves them), atomically. Only the
    /// model's own weights are written: adapters (LoRA branches, prompt embeddings) are saved apart by
    /// <see cref="Adapters.PeftAdapter"/>; merge LoRA first to keep its effect in the weights.
    /// </summary>
    public static void Save(string directory, GptModel model) => Save(directory, model, model.Config);

    /// <summary>Saves with <paramref name="config"/> as config.json (e.g. the model's own with a quantization entry).</summary>
    public static void Save(string directory, GptModel model, GptConfig config)
    {
        Directory.CreateDirectory(directory);
        var json = config.ToJson();
        AtomicFile.WriteAllText(Path.Combine(directory, "config.json"), json);
        // A classifier is saved as transformers' GPT2ForSequenceClassification names it: the body under "transformer.".
        string body = model.Score != null ? "transformer." : "";
        var state = model.StateDict().Where(e => !NN.Adapters.Lora.IsAdapterKey(e.Key) && e.Key != "prompt_embeddings")
            .ToDictionary(e => e.Key.StartsWith("score.", StringComparison.Ordinal) ? e.Key : body + e.Key, e => e.Value);
        SafeTensors.Save(Path.Combine(directory, "model.safetensors"), state, new Dictionary<string, string> { ["format"] = "pt" });
    }
}
