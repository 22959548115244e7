using Sapling.Inference;

namespace Sapling.Serving.Catalog;

/// <summary>A GPT sequence classifier over text.</summary>
public sealed class ServedTextClassifier(string id, string directory, TextClassifier classifier) : ServedModel(id, directory)
{
    /// <summary>The loaded sequence classifier with its tokenizer.</summary>
    public TextClassifier Classifier { get; } = classifier;

    /// <summary>Whether every weight is finite (checked once at load).</summary>
    public bool WeightsFinite { get; } = classifier.Model.Network.Parameters().All(p => p.AllFinite());
    /// <inheritdoc/>
    public override string Kind => "text-classifier";
}
