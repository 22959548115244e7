using Sapling.Inference;
using Sapling.Models;
using Sapling.Data.Text;

namespace Sapling.Serving.Catalog;

/// <summary>The models a server holds, loaded once at start-up and looked up by id for each request.</summary>
public sealed class ModelCatalog
{
    private readonly Dictionary<string, ServedModel> byId;

    private ModelCatalog(IReadOnlyList<ServedModel> models)
    {
        Models = models;
        byId = models.ToDictionary(m => m.Id, StringComparer.Ordinal);
    }

    /// <summary>The served models, in the order their sources were given.</summary>
    public IReadOnlyList<ServedModel> Models { get; }

    /// <summary>The model served as <paramref name="id"/> (case-sensitive), or null.</summary>
    public ServedModel? Find(string id) => byId.GetValueOrDefault(id);

    /// <summary>Loads every folder; a folder that cannot be loaded stops start-up with its path and the reason.</summary>
    public static ModelCatalog Load(IReadOnlyList<ModelSource> sources) => new(sources.Select(Load).ToList());

    /// <summary>
    /// Loads one folder (or GGUF file) as the kind of model it holds. Refuses a missing folder, token classifiers and
    /// imported ONNX graphs, and a language model whose tokenizer has more tokens than the model's vocabulary.
    /// </summary>
    public static ServedModel Load(ModelSource source)
    {
        var directory = source.Directory;
        bool gguf = Sapling.Models.Gguf.GgufModel.IsGgufPath(directory);
        if (!gguf && !System.IO.Directory.Exists(directory)) throw new DirectoryNotFoundException($"model folder '{directory}' does not exist");
        switch (ModelFolder.KindOf(directory))
        {
            case ModelKind.Classifier:
                return new ServedClassifier(source.Id, directory, ClassifierPredictor.Load(directory));
            case ModelKind.TextClassifier:
                return new ServedTextClassifier(source.Id, directory, TextClassifier.Load(directory));
            case ModelKind.Encoder:
                return new ServedEncoder(source.Id, directory, SentenceEmbedder.Load(directory));
            case ModelKind.Seq2SeqLM:
                return new ServedTranslator(source.Id, directory, new Seq2SeqTranslator(ModelRegistry.LoadSeq2SeqLM(directory), LoadTokenizer(directory)), Seq2SeqGenerationOptions.FromFolder(directory));
            case ModelKind.TokenClassifier:
                throw new NotSupportedException($"sapling serve: '{directory}' holds a token classifier; serving those is not implemented (sapling tag works on it)");
            case ModelKind.OnnxGraph:
                throw new NotSupportedException($"sapling serve: '{directory}' holds an imported ONNX graph; serving those is not implemented (sapling run works on it)");
            default:
                var tokenizer = gguf ? ModelRegistry.LoadTokenizer(directory)! : LoadTokenizer(directory);
                var template = ModelRegistry.LoadChatTemplate(directory);
                var chat = template != null && template.HasSpecialTokens(tokenizer) ? template : null;
                var model = ModelRegistry.LoadLanguageModel(directory);
                // Every id the tokenizer produces must have an embedding row.
                if (tokenizer.VocabSize > model.VocabSize)
                    throw new InvalidDataException($"{directory}: the tokenizer has {tokenizer.VocabSize} tokens but the model's vocab_size (config.json) is {model.VocabSize}; they do not belong together");
                return new ServedLanguageModel(source.Id, directory, model, tokenizer, chat, PromptTokens.StopIds(model, null, GenerationConfig.Load(directory)));
        }
    }

    private static ITokenizer LoadTokenizer(string directory) => ModelRegistry.RequireTokenizer(directory, "(a served model needs its tokenizer)");
}
