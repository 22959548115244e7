using System.Text.Json;
using Sapling.Models.Gguf;
using Sapling.Models.Gpt;
using Sapling.Models.Llama;

namespace Sapling.Models;

/// <summary>
/// Model families by config.json <c>model_type</c>, in the Hugging Face manner: the verbs (generate, chat, serve,
/// eval) ask the registry for a folder's loader instead of switching over the kinds they know. A new family is one
/// model file, one config record and one line here.
/// </summary>
public static class ModelRegistry
{
    private static readonly Dictionary<string, ModelFamily> Families = new(StringComparer.Ordinal);

    static ModelRegistry()
    {
        foreach (var type in new[] { "mlp", "cnn", "resnet" }) Register(new ModelFamily(type, ModelKind.Classifier, null));
        Register(new ModelFamily("gpt2", ModelKind.LanguageModel, GptFolder.Load)
        {
            LoadSequenceClassifier = directory => GptFolder.Load(directory),
            NewSequenceClassifier = (directory, head) =>
            {
                var gpt = GptFolder.Load(directory);
                gpt.AddClassificationHead(head.Labels, head.PadId, head.Pooling, head.Generator);
                return gpt;
            },
        });
        Register(new ModelFamily(Vision.TorchvisionResNetConfig.Type, ModelKind.Classifier, null));
        Register(new ModelFamily(Bert.BertConfig.Type, ModelKind.Encoder, null)
        {
            LoadTokenClassifier = Bert.BertFolder.LoadForTokenClassification,
            NewTokenClassifier = (directory, head) => Bert.BertForTokenClassification.FromEncoder(Bert.BertFolder.Load(directory, withPooler: false), head.Labels, head.Generator),
            LoadSequenceClassifier = Bert.BertFolder.LoadForSequenceClassification,
            NewSequenceClassifier = (directory, head) => Bert.BertForSequenceClassification.FromEncoder(Bert.BertFolder.Load(directory).WithPooler(head.Generator), head.Labels, head.Generator),
        });
        Register(new ModelFamily(DistilBert.DistilBertConfig.Type, ModelKind.Encoder, null)
        {
            LoadTokenClassifier = DistilBert.DistilBertFolder.LoadForTokenClassification,
            NewTokenClassifier = (directory, head) => DistilBert.DistilBertForTokenClassification.FromEncoder(DistilBert.DistilBertFolder.Load(directory), head.Labels, head.Generator),
            LoadSequenceClassifier = DistilBert.DistilBertFolder.LoadForSequenceClassification,
            NewSequenceClassifier = (directory, head) => DistilBert.DistilBertForSequenceClassification.FromEncoder(DistilBert.DistilBertFolder.Load(directory), head.Labels, head.Generator),
        });
        Register(new ModelFamily(Bert.BertConfig.RobertaType, ModelKind.Encoder, null)
        {
            LoadTokenClassifier = Bert.BertFolder.LoadForTokenClassification,
            NewTokenClassifier = (directory, head) => Bert.BertForTokenClassification.FromEncoder(Bert.BertFolder.Load(directory, withPooler: false), head.Labels, head.Generator),
            LoadSequenceClassifier = Bert.BertFolder.LoadForSequenceClassification,
            NewSequenceClassifier = (directory, head) => Roberta.RobertaForSequenceClassification.FromEncoder(Bert.BertFolder.Load(directory, withPooler: false), head.Labels, head.Generator),
        });
        // Loaded by Sapling.Export's OnnxFolder, which sits above this assembly.
        Register(new ModelFamily("onnx", ModelKind.OnnxGraph, null));
        foreach (var type in new[] { Bart.BartConfig.Type, Bart.BartConfig.MarianType })
            Register(new ModelFamily(type, ModelKind.Seq2SeqLM, null) { LoadSeq2SeqLM = (directory, storage) => Bart.BartFolder.Load(directory, storage) });
        Register(new ModelFamily(T5.T5Config.Type, ModelKind.Seq2SeqLM, null) { LoadSeq2SeqLM = (directory, storage) => T5.T5Folder.Load(directory, storage) });
        foreach (var type in LlamaConfig.ModelTypes)
            Register(new ModelFamily(type, ModelKind.LanguageModel, (directory, storage) => LlamaFolder.Load(directory, storage)));
    }

    /// <summary>Adds (or replaces) a family; a library user's own model type plugs in here.</summary>
    public static void Register(ModelFamily family)
    {
        ArgumentNullException.ThrowIfNull(family);
        lock (Families) Families[family.ModelType] = family;
    }

    /// <summary>Every registered model_type.</summary>
    public static IReadOnlyList<string> ModelTypes
    {
        get
        {
            lock (Families) return Families.Keys.Order(StringComparer.Ordinal).ToArray();
        }
    }

    /// <summary>The family of <paramref name="modelType"/>, or null when none is registered.</summary>
    public static ModelFamily? Find(string modelType)
    {
        lock (Families) return Families.GetValueOrDefault(modelType);
    }

    /// <summary>config.json's model_type, or null when the config has none (Sapling's own image classifiers).</summary>
    public static string? ModelTypeOf(string directory)
    {
        var configPath = Path.Combine(directory, "config.json");
        if (!File.Exists(configPath)) throw new FileNotFoundException($"model folder '{directory}' has no config.json", configPath);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{configPath}: not a JSON object");
            if (!root.TryGetProperty("model_type", out var type)) return null;
            return type.ValueKind == JsonValueKind.String ? type.GetString() : throw new InvalidDataException($"{configPath}: model_type is {type}, not a string");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{configPath}: not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>
    /// The tokenizer that goes with a model: a folder's tokenizer.json, else its WordPiece vocab.txt (BERT folders that
    /// predate tokenizer.json; lower-cased unless tokenizer_config.json says do_lower_case: false), or a GGUF file's
    /// own; null when a folder has none.
    /// </summary>
    public static Data.Text.ITokenizer? LoadTokenizer(string modelPath)
    {
        if (GgufModel.IsGgufPath(modelPath)) return GgufModel.LoadTokenizer(modelPath);
        var path = Path.Combine(modelPath, "tokenizer.json");
        if (File.Exists(path)) return Data.Text.Tokenizers.Load(path);
        var vocab = Path.Combine(modelPath, "vocab.txt");
        if (File.Exists(vocab)) return Data.Text.Tokenization.PipelineTokenizer.FromBertVocabulary(vocab, LowerCase(modelPath));
        // Folders that ship only SentencePiece files: Marian (opus-mt), T5 (spiece.model), Llama 1/2 (tokenizer.model).
        if (Data.Text.MarianTokenizer.IsIn(modelPath)) return Data.Text.MarianTokenizer.Load(modelPath);
        foreach (var name in new[] { "spiece.model", "tokenizer.model" })
        {
            var model = Path.Combine(modelPath, name);
            if (!File.Exists(model)) continue;
            var (bos, eos) = SpecialTokensAdded(modelPath);
            var tokenizer = Data.Text.SentencePieceModel.Read(model).ToTokenizer(model, bos, eos);
            // T5's sentinels follow the SentencePiece vocabulary (tokenizer_config.json's extra_ids, 100 by default).
            return IsT5(modelPath) ? T5.T5Sentinels.AddTo(tokenizer, ExtraIds(modelPath)) : tokenizer;
        }
        return null;
    }

    /// <summary><see cref="LoadTokenizer"/>, refusing a folder that has no tokenizer file of any kind Sapling reads;
    /// <paramref name="purpose"/> ends the message ("to tokenise the pairs").</summary>
    public static Data.Text.ITokenizer RequireTokenizer(string modelPath, string purpose) =>
        LoadTokenizer(modelPath) ?? throw new FileNotFoundException(
            $"model folder '{modelPath}' has no tokenizer (tokenizer.json, vocab.txt, spiece.model or tokenizer.model, or Marian's source.spm with vocab.json) {purpose}",
            Path.Combine(modelPath, "tokenizer.json"));

    /// <summary>
    /// Whether a SentencePiece folder's tokenizer puts &lt;s&gt; first and &lt;/s&gt; last: tokenizer_config.json's
    /// add_bos_token / add_eos_token when given, else what transformers' tokenizer for the model type does (T5 appends
    /// &lt;/s&gt;, the Llama family starts with &lt;s&gt;).
    /// </summary>
    internal static (bool Bos, bool Eos) SpecialTokensAdded(string directory)
    {
        var type = File.Exists(Path.Combine(directory, "config.json")) ? ModelTypeOf(directory) : null;
        bool bos = type != null && LlamaConfig.ModelTypes.Contains(type), eos = type == T5.T5Config.Type;
        return TokenizerConfig(directory) is { } config ? (config.Bool("add_bos_token", bos), config.Bool("add_eos_token", eos)) : (bos, eos);
    }

    private static bool IsT5(string directory) => File.Exists(Path.Combine(directory, "config.json")) && ModelTypeOf(directory) == T5.T5Config.Type;

    private static int ExtraIds(string directory) => TokenizerConfig(directory)?.Int("extra_ids", T5.T5Sentinels.DefaultCount, 0, 10_000) ?? T5.T5Sentinels.DefaultCount;

    private static Data.Json.JsonSection? TokenizerConfig(string directory)
    {
        var path = Path.Combine(directory, "tokenizer_config.json");
        return File.Exists(path) ? Data.Json.JsonSection.Parse(File.ReadAllText(path), path) : null;
    }

    private static bool LowerCase(string directory) => TokenizerConfig(directory)?.Bool("do_lower_case", true) ?? true;

    /// <summary>The chat template a model folder (tokenizer_config.json) or GGUF file (tokenizer.chat_template) declares; null when none.</summary>
    public static Data.Text.ChatTemplate? LoadChatTemplate(string modelPath) =>
        GgufModel.IsGgufPath(modelPath) ? GgufModel.LoadChatTemplate(modelPath) : Data.Text.ChatTemplate.Load(modelPath);

    /// <summary>
    /// Loads the sequence classifier in <paramref name="directory"/> (a folder whose config names a
    /// ...ForSequenceClassification architecture), head included, whatever its family.
    /// </summary>
    public static ISequenceClassifier LoadSequenceClassifier(string directory)
    {
        var family = FamilyOf(directory, f => f.LoadSequenceClassifier != null, "sequence classifier");
        var model = family.LoadSequenceClassifier!(directory);
        if (model.Labels.Length < 2) throw new InvalidDataException($"{Path.Combine(directory, "config.json")}: the {family.ModelType} model has no classification head (no id2label); fine-tune it with method classify first");
        return model;
    }

    /// <summary>Loads the token classifier in <paramref name="directory"/> (a folder whose config names a
    /// ...ForTokenClassification architecture), head included, whatever its family.</summary>
    public static ITokenClassifier LoadTokenClassifier(string directory) =>
        FamilyOf(directory, f => f.LoadTokenClassifier != null, "token classifier").LoadTokenClassifier!(directory);

    /// <summary>The pretrained model in <paramref name="directory"/> with a new token-classification head (method token_classify).</summary>
    public static ITokenClassifier NewTokenClassifier(string directory, NewClassifierHead head) =>
        FamilyOf(directory, f => f.NewTokenClassifier != null, "base for a token classifier").NewTokenClassifier!(directory, head);

    /// <summary>The model of a training run's folder as it trains: a classifier with its head, a masked-LM encoder
    /// with its prediction head, an encoder-decoder, or a causal language model, in float32.</summary>
    public static ITrainableModel LoadTrainable(string directory) => ModelFolder.KindOf(directory) switch
    {
        ModelKind.TextClassifier => LoadSequenceClassifier(directory),
        ModelKind.TokenClassifier => LoadTokenClassifier(directory),
        ModelKind.Encoder when ModelTypeOf(directory) == Bert.BertConfig.Type => Bert.BertFolder.LoadForMaskedLM(directory),
        ModelKind.Seq2SeqLM => LoadSeq2SeqLM(directory, WeightStorage.Float32),
        _ => LoadLanguageModel(directory, WeightStorage.Float32),
    };

    /// <summary>The encoder of a BERT, RoBERTa or DistilBERT folder (a task model's head left out), for embeddings and search.</summary>
    public static ITextEncoder LoadTextEncoder(string directory) => ModelTypeOf(directory) switch
    {
        DistilBert.DistilBertConfig.Type => DistilBert.DistilBertFolder.Load(directory),
        Bert.BertConfig.Type or Bert.BertConfig.RobertaType => Bert.BertFolder.Load(directory),
        var type => throw new NotSupportedException($"{Path.Combine(directory, "config.json")}: model_type '{type}' is not a text encoder (bert, roberta, distilbert)"),
    };

    /// <summary>The pretrained model in <paramref name="directory"/> with a new classification head (method classify).</summary>
    public static ISequenceClassifier NewSequenceClassifier(string directory, NewClassifierHead head) =>
        FamilyOf(directory, f => f.NewSequenceClassifier != null, "base for a sequence classifier").NewSequenceClassifier!(directory, head);

    private static ModelFamily FamilyOf(string directory, Func<ModelFamily, bool> can, string what)
    {
        var type = ModelTypeOf(directory);
        var family = type == null ? null : Find(type);
        if (family != null && can(family)) return family;
        var known = string.Join(", ", ModelTypes.Where(t => Find(t) is { } f && can(f)));
        throw new NotSupportedException(type == null
            ? $"{Path.Combine(directory, "config.json")} has no model_type, so it cannot be a {what} (families that can: {known})"
            : $"{Path.Combine(directory, "config.json")}: model_type '{type}' cannot be a {what} (families that can: {known})");
    }

    /// <summary>Loads the encoder-decoder in <paramref name="directory"/> (BART, Marian, T5), whatever its family.</summary>
    public static ISeq2SeqLM LoadSeq2SeqLM(string directory, WeightStorage storage = WeightStorage.Native) =>
        FamilyOf(directory, f => f.LoadSeq2SeqLM != null, "sequence-to-sequence model").LoadSeq2SeqLM!(directory, storage);

    /// <summary>
    /// Loads the causal language model in <paramref name="directory"/> (a model folder, or a .gguf file), whatever its family. Weight matrices are used
    /// in their stored dtype from the files read into memory by default (<see cref="WeightStorage.Native"/>). A model_type no family claims is
    /// refused with the registered ones listed.
    /// </summary>
    public static ICausalLM LoadLanguageModel(string directory, WeightStorage storage = WeightStorage.Native)
    {
        if (GgufModel.IsGgufPath(directory)) return GgufModel.LoadLanguageModel(directory, storage);
        var type = ModelTypeOf(directory);
        var family = type == null ? null : Find(type);
        if (family?.LoadLanguageModel == null)
        {
            var known = string.Join(", ", ModelTypes.Where(t => Find(t)?.LoadLanguageModel != null));
            throw new NotSupportedException(type == null
                ? $"{Path.Combine(directory, "config.json")} has no model_type, so it is not a language model folder (language models: {known})"
                : $"{Path.Combine(directory, "config.json")}: model_type '{type}' is not a language model Sapling knows (language models: {known})");
        }
        return family.LoadLanguageModel(directory, storage);
    }
}
