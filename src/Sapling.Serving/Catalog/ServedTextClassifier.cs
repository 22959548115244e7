using Sapling.Inference;

namespace Sapling.Serving.Catalog;

/// <summary>A GPT sequence classifier over text.</summary>
public sealed class ServedTextClassifier(string id, string directory, TextClassifier classifier) : ServedModel(id, directory)
{
    public TextClassifier Classifier { get; } = classifier;

    /// <summary>Whether every weight is finite (checked once at load).</summary>
    public bool WeightsFinite { get; } = classifier.Model.Network.Parameters().All(p => p.AllFinite());
    public override string Kind => "text-classifier";
}
