using System.Text.Json;
using System.Text.Json.Nodes;
using Sapling.IO;
using Sapling.Models.Gpt;
using Sapling.NN.Adapters;

namespace Sapling.Models.Adapters;

/// <summary>
/// Adapter folders in Hugging Face PEFT's format: <c>adapter_config.json</c> + <c>adapter_model.safetensors</c>.
/// LoRA tensors are named as PEFT names them on GPT2LMHeadModel
/// (<c>base_model.model.transformer.h.0.attn.c_attn.lora_A.weight</c>), prompt tuning saves <c>prompt_embeddings</c>,
/// so adapters move between Sapling and PEFT in both directions.
/// </summary>
public static class PeftAdapter
{
    /// <summary>The adapter folder's config file name, as PEFT writes it.</summary>
    public const string ConfigFile = "adapter_config.json";
    /// <summary>The adapter folder's weights file name, as PEFT writes it.</summary>
    public const string WeightsFile = "adapter_model.safetensors";
    /// <summary>
    /// PEFT keys are the transformers model's names under "base_model.model.": GPT2LMHeadModel keeps its body under
    /// "transformer.", which Sapling's GPT names leave out; the Llama family's names are transformers' own.
    /// </summary>
    private static string LoraPrefix(ICausalLM model) => model is GptModel ? "base_model.model.transformer." : "base_model.model.";

    /// <summary>The layers PEFT adapts when a config names none: GPT-2's fused attention and its output, the Llama
    /// family's four attention projections, and the query and value projections of the encoders and encoder-decoders
    /// (PEFT's mapping).</summary>
    public static IReadOnlyList<string> DefaultLoraTargets(ITrainableModel model) => model switch
    {
        GptModel => ["c_attn", "c_proj"],
        ICausalLM => ["q_proj", "k_proj", "v_proj", "o_proj"],
        ISeq2SeqLM when model.ModelType == T5.T5Config.Type => ["q", "v"],
        ISeq2SeqLM => ["q_proj", "v_proj"],
        _ when model.ModelType == "distilbert" => ["q_lin", "v_lin"],
        _ => ["query", "value"],
    };

    /// <summary>
    /// Writes a SEQ_CLS LoRA adapter of an encoder classifier (BERT, RoBERTa, DistilBERT) as PEFT does: the LoRA tensors
    /// and the fully trained head (modules_to_save) under transformers' names after "base_model.model.", the labels in
    /// <see cref="HeadFile"/> beside them.
    /// </summary>
    public static void SaveEncoderLora(string directory, ITrainableModel classifier, LoraConfig config, string baseModel)
    {
        // PEFT's task types: SEQ_CLS for a text's label, TOKEN_CLS for a tag per token; the head trains whole in both.
        var (head, labels, task) = classifier switch
        {
            ISequenceClassifier { Labels.Length: >= 2 } c => (c.Head, c.Labels, "SEQ_CLS"),
            ITokenClassifier t => (t.Head, t.Labels, "TOKEN_CLS"),
            _ => throw new NotSupportedException($"a LoRA adapter of an encoder is saved with its task head; model_type '{classifier.ModelType}' ({classifier.GetType().Name}) has none"),
        };
        var model = classifier.Network;
        var state = Lora.AdapterState(model);
        if (state.Count == 0) throw new InvalidOperationException("the model carries no LoRA adapter to save");
        var tensors = state.ToDictionary(e => "base_model.model." + e.Key, e => e.Value);
        var headParameters = head.Parameters().ToHashSet(ReferenceEqualityComparer.Instance);
        var modulesToSave = new List<string>();
        foreach (var (name, p) in model.NamedParameters())
        {
            if (!headParameters.Contains(p)) continue;
            tensors["base_model.model." + name] = p;
            var module = name[..name.IndexOf('.')];
            if (!modulesToSave.Contains(module)) modulesToSave.Add(module);
        }
        var targets = config.TargetRegex != null ? (JsonNode)JsonValue.Create(config.TargetRegex) : new JsonArray(config.TargetModules.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray());
        var json = new JsonObject
        {
            ["peft_type"] = "LORA", ["task_type"] = task, ["base_model_name_or_path"] = baseModel,
            ["r"] = config.Rank, ["lora_alpha"] = config.Alpha, ["lora_dropout"] = config.Dropout,
            ["target_modules"] = targets, ["fan_in_fan_out"] = false, ["bias"] = "none", ["inference_mode"] = true,
            ["init_lora_weights"] = true, ["modules_to_save"] = new JsonArray(modulesToSave.Select(m => (JsonNode?)JsonValue.Create(m)).ToArray()),
            ["use_rslora"] = false, ["use_dora"] = false,
        };
        Directory.CreateDirectory(directory);
        AtomicFile.WriteAllText(Path.Combine(directory, HeadFile), new JsonObject
        {
            ["id2label"] = new JsonObject(labels.Select((l, i) => KeyValuePair.Create(i.ToString(System.Globalization.CultureInfo.InvariantCulture), (JsonNode?)JsonValue.Create(l)))),
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Write(directory, json, tensors);
    }

    /// <summary>The encoder classifier an adapter from <see cref="SaveEncoderLora"/> was trained as (a sequence classifier
    /// for SEQ_CLS, a token classifier for TOKEN_CLS): the base folder's encoder, a head with the adapter's labels, the
    /// LoRA branches and the trained head's weights; in eval mode.</summary>
    public static ITrainableModel LoadEncoderClassifier(string baseModel, string adapterDirectory)
    {
        var description = Read(adapterDirectory);
        if (description.Lora == null) throw new NotSupportedException($"{adapterDirectory}: a {description.PeftType} adapter does not apply to an encoder classifier (LoRA does)");
        var (labels, _, _) = ReadHead(adapterDirectory);
        var newHead = new NewClassifierHead(labels, 0, "last", new Generator(0));
        var (classifier, head) = description.TaskType switch
        {
            "TOKEN_CLS" when ModelRegistry.NewTokenClassifier(baseModel, newHead) is var t => ((ITrainableModel)t, t.Head),
            "SEQ_CLS" or null when ModelRegistry.NewSequenceClassifier(baseModel, newHead) is var c => (c, c.Head),
            var other => throw new NotSupportedException($"{Path.Combine(adapterDirectory, ConfigFile)}: task_type {other} is not an encoder classifier's (SEQ_CLS, TOKEN_CLS)"),
        };
        var model = classifier.Network;
        Lora.Apply(model, description.Lora);
        var weightsPath = Path.Combine(adapterDirectory, WeightsFile);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"adapter folder '{adapterDirectory}' has no {WeightsFile}", weightsPath);
        var state = new Dictionary<string, Tensor>();
        foreach (var (name, tensor) in SafeTensors.LoadAll(weightsPath, DType.Float32))
        {
            var key = name.StartsWith("base_model.model.", StringComparison.Ordinal) ? name["base_model.model.".Length..] : name;
            state[key.Replace(".lora_A.default.", ".lora_A.").Replace(".lora_B.default.", ".lora_B.").Replace(".modules_to_save.default.", ".")] = tensor;
        }
        var headParameters = head.Parameters().ToHashSet(ReferenceEqualityComparer.Instance);
        var expected = Lora.AdapterState(model).Keys.Concat(model.NamedParameters().Where(p => headParameters.Contains(p.Parameter)).Select(p => p.Name)).ToHashSet();
        var missing = expected.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !expected.Contains(k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new InvalidDataException($"{weightsPath} does not fit a {classifier.ModelType} classifier on {baseModel}: " +
                (missing.Count > 0 ? $"missing {string.Join(", ", missing.Take(4))}" : "") + (unexpected.Count > 0 ? $"{(missing.Count > 0 ? "; " : "")}unexpected {string.Join(", ", unexpected.Take(4))}" : ""));
        model.LoadStateDict(state, strict: false);
        model.Eval();
        return classifier;
    }

    /// <summary>
    /// Writes a SEQ_2_SEQ_LM LoRA adapter of an encoder-decoder (BART, Marian, T5) as PEFT does: the LoRA tensors under
    /// transformers' names after "base_model.model.", and their config.
    /// </summary>
    public static void SaveSeq2SeqLora(string directory, ISeq2SeqLM model, LoraConfig config, string baseModel)
    {
        var state = Lora.AdapterState(model.Network);
        if (state.Count == 0) throw new InvalidOperationException("the model carries no LoRA adapter to save");
        var targets = config.TargetRegex != null ? (JsonNode)JsonValue.Create(config.TargetRegex) : new JsonArray(config.TargetModules.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray());
        var json = new JsonObject
        {
            ["peft_type"] = "LORA", ["task_type"] = "SEQ_2_SEQ_LM", ["base_model_name_or_path"] = baseModel,
            ["r"] = config.Rank, ["lora_alpha"] = config.Alpha, ["lora_dropout"] = config.Dropout,
            ["target_modules"] = targets, ["fan_in_fan_out"] = false, ["bias"] = "none", ["inference_mode"] = true,
            ["init_lora_weights"] = true, ["modules_to_save"] = null, ["use_rslora"] = false, ["use_dora"] = false,
        };
        Write(directory, json, state.ToDictionary(e => "base_model.model." + e.Key, e => e.Value));
    }

    /// <summary>The encoder-decoder in <paramref name="baseModel"/> (float32) with the SEQ_2_SEQ_LM LoRA adapter of
    /// <paramref name="adapterDirectory"/> applied; in eval mode.</summary>
    public static ISeq2SeqLM LoadSeq2SeqLM(string baseModel, string adapterDirectory)
    {
        var description = Read(adapterDirectory);
        if (description.Lora == null) throw new NotSupportedException($"{adapterDirectory}: a {description.PeftType} adapter does not apply to an encoder-decoder (LoRA does)");
        if (description.TaskType is not (null or "SEQ_2_SEQ_LM"))
            throw new NotSupportedException($"{Path.Combine(adapterDirectory, ConfigFile)}: task_type {description.TaskType} is not an encoder-decoder's (SEQ_2_SEQ_LM)");
        var model = ModelRegistry.LoadSeq2SeqLM(baseModel, WeightStorage.Float32);
        Lora.Apply(model.Network, description.Lora);
        var weightsPath = Path.Combine(adapterDirectory, WeightsFile);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"adapter folder '{adapterDirectory}' has no {WeightsFile}", weightsPath);
        var state = new Dictionary<string, Tensor>();
        foreach (var (name, tensor) in SafeTensors.LoadAll(weightsPath, DType.Float32))
        {
            var key = name.StartsWith("base_model.model.", StringComparison.Ordinal) ? name["base_model.model.".Length..] : name;
            state[key.Replace(".lora_A.default.", ".lora_A.").Replace(".lora_B.default.", ".lora_B.")] = tensor;
        }
        var own = Lora.AdapterState(model.Network);
        var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new InvalidDataException($"{weightsPath} does not fit the {model.ModelType} model in {baseModel}: " +
                (missing.Count > 0 ? $"missing {string.Join(", ", missing.Take(4))}" : "") + (unexpected.Count > 0 ? $"{(missing.Count > 0 ? "; " : "")}unexpected {string.Join(", ", unexpected.Take(4))}" : ""));
        model.Network.LoadStateDict(state, strict: false);
        model.Network.Eval();
        return model;
    }

    /// <summary>Writes the LoRA tensors of <paramref name="causalLM"/> and their config.</summary>
    public static void SaveLora(string directory, ICausalLM causalLM, LoraConfig config, string baseModel)
    {
        var model = causalLM.Network;
        var state = Lora.AdapterState(model);
        if (state.Count == 0) throw new InvalidOperationException("the model carries no LoRA adapter to save");
        var targets = config.TargetRegex != null ? (JsonNode)JsonValue.Create(config.TargetRegex) : new JsonArray(config.TargetModules.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray());
        var gpt = causalLM as GptModel;
        bool classifier = gpt?.Score != null;
        var json = new JsonObject
        {
            ["peft_type"] = "LORA", ["task_type"] = classifier ? "SEQ_CLS" : "CAUSAL_LM", ["base_model_name_or_path"] = baseModel,
            ["r"] = config.Rank, ["lora_alpha"] = config.Alpha, ["lora_dropout"] = config.Dropout,
            // GPT-2's Conv1D stores [in, out]: PEFT's fan_in_fan_out.
            ["target_modules"] = targets, ["fan_in_fan_out"] = gpt != null, ["bias"] = "none",
            ["inference_mode"] = true, ["init_lora_weights"] = true, ["modules_to_save"] = classifier ? new JsonArray("score") : null,
            ["use_rslora"] = false, ["use_dora"] = false,
        };
        var tensors = state.ToDictionary(e => LoraPrefix(causalLM) + e.Key, e => e.Value);
        if (classifier)
        {
            // PEFT saves a fully trained module under its own name; the labels it scores live beside the adapter,
            // since a base language model's config has none (transformers takes them as id2label when loading).
            tensors[ScoreKey] = gpt!.Score!.Weight;
            Directory.CreateDirectory(directory);
            AtomicFile.WriteAllText(Path.Combine(directory, HeadFile), new JsonObject
            {
                ["id2label"] = new JsonObject(gpt.Config.Labels.Select((l, i) => KeyValuePair.Create(i.ToString(System.Globalization.CultureInfo.InvariantCulture), (JsonNode?)JsonValue.Create(l)))),
                ["pad_token_id"] = gpt.Config.PadTokenId, ["classifier_pooling"] = gpt.Config.ClassifierPooling ?? "last",
            }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        Write(directory, json, tensors);
    }

    /// <summary>Where a SEQ_CLS adapter keeps its trained score head, as PEFT names it.</summary>
    private const string ScoreKey = "base_model.model.score.weight";

    /// <summary>The labels, padding id and pooling of an adapter's classification head.</summary>
    public const string HeadFile = "classification_head.json";

    /// <summary>Writes the virtual-token embeddings of a prompt-tuned model and their config.</summary>
    public static void SavePromptTuning(string directory, GptModel model, string baseModel, string? initText = null)
    {
        var embeddings = model.PromptEmbeddings ?? throw new InvalidOperationException("the model carries no prompt-tuning embeddings to save");
        var json = new JsonObject
        {
            ["peft_type"] = "PROMPT_TUNING", ["task_type"] = "CAUSAL_LM", ["base_model_name_or_path"] = baseModel,
            ["num_virtual_tokens"] = model.VirtualTokens, ["token_dim"] = model.Config.NEmbd, ["num_transformer_submodules"] = 1,
            ["num_attention_heads"] = model.Config.NHead, ["num_layers"] = model.Config.NLayer,
            // PEFT insists on a tokenizer to go with a TEXT initialisation; the base folder holds it.
            ["prompt_tuning_init"] = initText != null ? "TEXT" : "RANDOM", ["prompt_tuning_init_text"] = initText,
            ["tokenizer_name_or_path"] = initText != null ? baseModel : null, ["inference_mode"] = true,
        };
        Write(directory, json, new Dictionary<string, Tensor> { ["prompt_embeddings"] = embeddings });
    }

    /// <summary>What an adapter folder holds, read from its config.</summary>
    public sealed record Description(string PeftType, LoraConfig? Lora, int VirtualTokens, string? BaseModel)
    {
        /// <summary>PEFT's task_type (CAUSAL_LM, SEQ_CLS, TOKEN_CLS), or null when the config has none.</summary>
        public string? TaskType { get; init; }
    }

    /// <summary>
    /// Reads the adapter_config.json of <paramref name="directory"/>. Only LORA and PROMPT_TUNING adapters are
    /// accepted; DoRA and rsLoRA are refused, since their branches compute something plain LoRA does not.
    /// </summary>
    public static Description Read(string directory)
    {
        var configPath = Path.Combine(directory, ConfigFile);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"adapter folder '{directory}' has no {ConfigFile}", configPath);
        JsonNode root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(configPath)) ?? throw new InvalidDataException($"{configPath}: empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{configPath}: not valid JSON ({e.Message})", e);
        }
        string type = root["peft_type"]?.GetValue<string>() ?? throw new InvalidDataException($"{configPath}: no peft_type");
        string? baseModel = root["base_model_name_or_path"]?.GetValue<string>();
        switch (type)
        {
            case "LORA":
            {
                var targets = root["target_modules"];
                var config = new LoraConfig
                {
                    Rank = Required(root, "r", configPath).GetValue<int>(),
                    Alpha = Required(root, "lora_alpha", configPath).GetValue<float>(),
                    Dropout = root["lora_dropout"]?.GetValue<float>() ?? 0f,
                };
                config = targets switch
                {
                    JsonArray list => config with { TargetModules = list.Select(t => t!.GetValue<string>()).ToList() },
                    JsonValue regex => config with { TargetModules = [], TargetRegex = regex.GetValue<string>() },
                    _ => throw new InvalidDataException($"{configPath}: target_modules must be a list or a string"),
                };
                if (root["use_dora"]?.GetValue<bool>() == true || root["use_rslora"]?.GetValue<bool>() == true)
                    throw new NotSupportedException($"{configPath}: DoRA and rsLoRA adapters are not supported");
                return new Description(type, config, 0, baseModel) { TaskType = root["task_type"]?.GetValue<string>() };
            }
            case "PROMPT_TUNING":
                return new Description(type, null, Required(root, "num_virtual_tokens", configPath).GetValue<int>(), baseModel);
            default:
                throw new NotSupportedException($"{configPath}: peft_type {type} is not supported (LORA and PROMPT_TUNING are)");
        }
    }

    /// <summary>Puts the adapter in <paramref name="directory"/> onto <paramref name="causalLM"/> (which is then frozen apart from it).</summary>
    public static Description Apply(ICausalLM causalLM, string directory)
    {
        var description = Read(directory);
        var weightsPath = Path.Combine(directory, WeightsFile);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"adapter folder '{directory}' has no {WeightsFile}", weightsPath);
        var tensors = SafeTensors.LoadAll(weightsPath, DType.Float32);
        var model = causalLM.Network;
        var gpt = causalLM as GptModel;
        if (description.Lora != null)
        {
            Lora.Apply(model, description.Lora);
            if (tensors.Remove(ScoreKey, out var score))
                AddTrainedHead(gpt ?? throw new NotSupportedException($"{weightsPath}: a sequence-classification adapter applies to gpt2 models so far, not model_type '{causalLM.ModelType}'"), directory, score);
            var state = new Dictionary<string, Tensor>();
            foreach (var (name, tensor) in tensors)
            {
                var key = name.StartsWith("base_model.model.", StringComparison.Ordinal) ? name["base_model.model.".Length..] : name;
                if (gpt != null && key.StartsWith("transformer.", StringComparison.Ordinal)) key = key["transformer.".Length..];
                // PEFT writes the adapter name into keys of non-default adapters' state but strips "default".
                key = key.Replace(".lora_A.default.", ".lora_A.").Replace(".lora_B.default.", ".lora_B.");
                state[key] = tensor;
            }
            var own = Lora.AdapterState(model);
            var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
            var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
            if (missing.Count > 0 || unexpected.Count > 0)
                throw new InvalidDataException($"{weightsPath} does not fit the model: " +
                    (missing.Count > 0 ? $"missing {string.Join(", ", missing.Take(4))}{(missing.Count > 4 ? $" and {missing.Count - 4} more" : "")}" : "") +
                    (unexpected.Count > 0 ? $"{(missing.Count > 0 ? "; " : "")}unexpected {string.Join(", ", unexpected.Take(4))}{(unexpected.Count > 4 ? $" and {unexpected.Count - 4} more" : "")}" : ""));
            model.LoadStateDict(state, strict: false);
        }
        else
        {
            if (!tensors.TryGetValue("prompt_embeddings", out var embeddings)) throw new InvalidDataException($"{weightsPath}: no prompt_embeddings tensor");
            if (embeddings.Rank != 2 || embeddings.Shape[0] != description.VirtualTokens)
                throw new InvalidDataException($"{weightsPath}: prompt_embeddings has shape {ShapeUtil.Format(embeddings.Shape.ToArray())}, the config says {description.VirtualTokens} virtual tokens");
            foreach (var p in model.Parameters()) p.RequiresGrad = false;
            (gpt ?? throw new NotSupportedException($"{weightsPath}: prompt tuning applies to gpt2 models so far, not model_type '{causalLM.ModelType}'")).AddPromptTuning(embeddings);
        }
        return description;
    }

    /// <summary>Gives a base language model the classification head a SEQ_CLS adapter trained.</summary>
    private static void AddTrainedHead(GptModel model, string directory, Tensor score)
    {
        var (labels, pad, pooling) = ReadHead(directory);
        if (score.Rank != 2 || score.Shape[0] != labels.Length || score.Shape[1] != model.Config.NEmbd)
            throw new InvalidDataException($"{directory}: the score head has shape {ShapeUtil.Format(score.Shape.ToArray())}, expected [{labels.Length}, {model.Config.NEmbd}] for {labels.Length} labels");
        if (model.Score == null) model.AddClassificationHead(labels, pad, pooling);
        using (Autograd.NoGrad.Enter()) model.Score!.Weight.CopyFrom(score);
    }

    /// <summary>The labels, padding id and pooling an adapter's <see cref="HeadFile"/> records for its classification head.</summary>
    private static (string[] Labels, int PadId, string Pooling) ReadHead(string directory)
    {
        var path = Path.Combine(directory, HeadFile);
        if (!File.Exists(path)) throw new InvalidDataException($"adapter folder '{directory}' holds a trained classification head but no {HeadFile} naming its labels");
        JsonNode head;
        try
        {
            head = JsonNode.Parse(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
        var id2label = head["id2label"]?.AsObject() ?? throw new InvalidDataException($"{path}: missing \"id2label\"");
        var labels = Enumerable.Range(0, id2label.Count).Select(i => id2label[i.ToString(System.Globalization.CultureInfo.InvariantCulture)]?.GetValue<string>()
            ?? throw new InvalidDataException($"{path}: id2label has no entry {i}")).ToArray();
        return (labels, head["pad_token_id"]?.GetValue<int>() ?? 0, head["classifier_pooling"]?.GetValue<string>() ?? "last");
    }

    /// <summary>
    /// The language model in <paramref name="modelDirectory"/> through the <see cref="ModelRegistry"/> (weights used in
    /// place), or, with an adapter, the float32 GPT the adapter was trained on with the adapter applied.
    /// </summary>
    public static ICausalLM LoadLanguageModel(string modelDirectory, string? adapterDirectory)
    {
        if (adapterDirectory == null) return ModelRegistry.LoadLanguageModel(modelDirectory);
        if (ModelRegistry.ModelTypeOf(modelDirectory) == "gpt2") return LoadModel(modelDirectory, adapterDirectory);
        // The adapter's branches sit on float32 copies of the weights they adapt, so merging stays possible.
        var model = ModelRegistry.LoadLanguageModel(modelDirectory, WeightStorage.Float32);
        Apply(model, adapterDirectory);
        model.Network.Eval();
        return model;
    }

    /// <summary>
    /// Loads the GPT-2 folder <paramref name="modelDirectory"/> with the adapter in <paramref name="adapterDirectory"/>
    /// applied (none when null), in evaluation mode.
    /// </summary>
    public static GptModel LoadModel(string modelDirectory, string? adapterDirectory)
    {
        var model = GptFolder.Load(modelDirectory);
        if (adapterDirectory != null) Apply(model, adapterDirectory);
        model.Eval();
        return model;
    }

    private static JsonNode Required(JsonNode root, string key, string path) =>
        root[key] ?? throw new InvalidDataException($"{path}: missing \"{key}\"");

    private static void Write(string directory, JsonObject config, Dictionary<string, Tensor> tensors)
    {
        Directory.CreateDirectory(directory);
        SafeTensors.Save(Path.Combine(directory, WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        AtomicFile.WriteAllText(Path.Combine(directory, ConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
