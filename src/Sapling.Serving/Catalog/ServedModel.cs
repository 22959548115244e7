using Sapling.Inference;
using Sapling.Models.Gpt;
using Sapling.Text;

namespace Sapling.Serving.Catalog;

/// <summary>A loaded model folder and the id clients call it by.</summary>
public abstract class ServedModel(string id, string directory)
{
    public string Id { get; } = id;
    public string Directory { get; } = directory;
    public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>"language-model", "classifier" or "text-classifier": what the playground offers for it.</summary>
    public abstract string Kind { get; }
}

/// <summary>A GPT that completes text; it chats when its folder declares a chat template whose special tokens its tokenizer has.</summary>
public sealed class ServedLanguageModel(string id, string directory, GptModel model, ITokenizer tokenizer, ChatTemplate? chatTemplate)
    : ServedModel(id, directory)
{
    public GptModel Model { get; } = model;
    public ITokenizer Tokenizer { get; } = tokenizer;
    public ChatTemplate? ChatTemplate { get; } = chatTemplate;
    public bool HasChatTemplate => ChatTemplate != null;
    public int Context => Model.Config.NPositions - Model.VirtualTokens;

    /// <summary>
    /// Ids that sampling may pick: the tokenizer's, when the model's output layer is wider (padded vocabularies, as
    /// Qwen's); an id the tokenizer cannot decode is never generated.
    /// </summary>
    public int SampledVocabulary { get; } = Math.Min(model.Config.VocabSize, tokenizer.VocabSize);
    public override string Kind => "language-model";

    /// <summary>Tokens that end an answer: end-of-text, and for chat models the template's end-of-turn token.</summary>
    public IReadOnlySet<int> StopIds(bool chat) =>
        chat && ChatTemplate != null ? ChatTemplate.StopIds(Tokenizer) : new HashSet<int> { Tokenizer.EndOfTextId };
}

/// <summary>An image or feature-row classifier (MLP, CNN, ResNet).</summary>
public sealed class ServedClassifier(string id, string directory, ClassifierPredictor predictor) : ServedModel(id, directory)
{
    public ClassifierPredictor Predictor { get; } = predictor;
    public bool TakesImages => Predictor.Config.InputShape.Length == 3;

    /// <summary>Whether every weight is finite (checked once at load): non-finite scores are then the input's doing.</summary>
    public bool WeightsFinite { get; } = predictor.Classifier.Module.Parameters().All(p => p.AllFinite());
    public override string Kind => "classifier";
}

/// <summary>A GPT sequence classifier over text.</summary>
public sealed class ServedTextClassifier(string id, string directory, TextClassifier classifier) : ServedModel(id, directory)
{
    public TextClassifier Classifier { get; } = classifier;

    /// <summary>Whether every weight is finite (checked once at load).</summary>
    public bool WeightsFinite { get; } = classifier.Model.Parameters().All(p => p.AllFinite());
    public override string Kind => "text-classifier";
}
