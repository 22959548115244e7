using Sapling.NN;
using Sapling.IO;
using Sapling.Models.Compression;

namespace Sapling.Models.Gpt;

/// <summary>
/// GPT-2 model folders as Hugging Face writes them: config.json + model.safetensors, with tensor names with or
/// without the "transformer." prefix, an optional lm_head.weight (tied to wte), and the causal-mask buffers older
/// checkpoints carry (attn.bias, attn.masked_bias), which this implementation computes instead of storing.
/// </summary>
public static class GptFolder
{
    public static GptModel Load(string directory)
    {
        var configPath = Path.Combine(directory, "config.json");
        var weightsPath = Path.Combine(directory, "model.safetensors");
        if (!File.Exists(configPath)) throw new FileNotFoundException($"model folder '{directory}' has no config.json", configPath);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"model folder '{directory}' has no model.safetensors (convert .bin checkpoints to safetensors first)", weightsPath);
        var config = GptConfig.FromJson(File.ReadAllText(configPath), configPath);
        config.CheckAgainstWeights(configPath, weightsPath);
        var model = new GptModel(config);
        if (config.IsClassifier) model.AddClassificationHead(config.Labels, config.PadTokenId ?? 0, config.ClassifierPooling ?? "last");
        if (config.Quantization == null)
        {
            ReadWeights(model, config, weightsPath, configPath);
            model.Eval();
            return model;
        }
        var state = new Dictionary<string, Tensor>();
        // Each tensor keeps its stored dtype (I8 for quantized layers); LoadStateDict converts the rest to float32.
        foreach (var (name, tensor) in SafeTensors.LoadAll(weightsPath))
        {
            if (ModelKey(name, config, weightsPath) is { } key) state[key] = tensor;
        }
        Warnings.WarnNonFinite(weightsPath, state);
        ModelQuantization.LoadQuantized(model, config.Quantization, state, weightsPath);
        try
        {
            model.LoadStateDict(state);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"{weightsPath} does not match {configPath}: {e.Message}", e);
        }
        model.Eval();
        return model;
    }

    /// <summary>
    /// Reads the file's tensors one by one straight into the model's parameters (converting BF16/F16 to float32), so
    /// loading holds the weights once rather than once in the model and again in a dictionary of loaded tensors.
    /// </summary>
    private static void ReadWeights(GptModel model, GptConfig config, string weightsPath, string configPath)
    {
        using var file = SafeTensorsFile.Open(weightsPath);
        var own = model.StateDict();
        var filled = new HashSet<string>(StringComparer.Ordinal);
        var unexpected = new List<string>();
        foreach (var name in file.Names)
        {
            if (ModelKey(name, config, weightsPath) is not { } key) continue;
            if (!own.TryGetValue(key, out var target))
            {
                unexpected.Add(key);
                continue;
            }
            try
            {
                file.ReadInto(name, target);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{weightsPath} does not match {configPath}: {e.Message}", e);
            }
            filled.Add(key);
        }
        var result = new LoadStateResult(own.Keys.Where(k => !filled.Contains(k)).ToList(), unexpected);
        if (!result.IsExact) throw new InvalidDataException($"{weightsPath} does not match {configPath}: {result.Describe()}");
        Warnings.WarnNonFinite(weightsPath, own);
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
        var state = model.StateDict().Where(e => !NN.Lora.IsAdapterKey(e.Key) && e.Key != "prompt_embeddings")
            .ToDictionary(e => e.Key.StartsWith("score.", StringComparison.Ordinal) ? e.Key : body + e.Key, e => e.Value);
        SafeTensors.Save(Path.Combine(directory, "model.safetensors"), state, new Dictionary<string, string> { ["format"] = "pt" });
    }
}
