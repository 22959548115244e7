using Sapling.NN;

namespace Sapling.Models.Classifiers;

/// <summary>A classifier whose last layer (the head) can be swapped for transfer learning.</summary>
public interface IClassifier
{
    /// <summary>The config the classifier was built from (architecture, classes, input shape).</summary>
    ClassifierConfig Config { get; }

    /// <summary>The module as a plain Tensor → logits module.</summary>
    Module<Tensor, Tensor> Module { get; }

    /// <summary>Globs of the parameter names that make up the feature extractor (everything but the head).</summary>
    IReadOnlyList<string> BackbonePatterns { get; }

    /// <summary>Replaces the head with a freshly initialised one for <paramref name="numClasses"/> classes.</summary>
    void ReplaceHead(int numClasses, Generator? generator = null);
}
