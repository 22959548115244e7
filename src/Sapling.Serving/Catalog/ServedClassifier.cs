using Sapling.Inference;

namespace Sapling.Serving.Catalog;

/// <summary>An image or feature-row classifier (MLP, CNN, ResNet).</summary>
public sealed class ServedClassifier(string id, string directory, ClassifierPredictor predictor) : ServedModel(id, directory)
{
    /// <summary>The loaded classifier with its preprocessing.</summary>
    public ClassifierPredictor Predictor { get; } = predictor;
    /// <summary>Whether the model takes images (a [channels, height, width] input) rather than feature rows.</summary>
    public bool TakesImages => Predictor.Config.InputShape.Length == 3;

    /// <summary>Whether every weight is finite (checked once at load): non-finite scores are then the input's doing.</summary>
    public bool WeightsFinite { get; } = predictor.Classifier.Module.Parameters().All(p => p.AllFinite());
    /// <inheritdoc/>
    public override string Kind => "classifier";
}
