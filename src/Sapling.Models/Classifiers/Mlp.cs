using Sapling.NN;

namespace Sapling.Models.Classifiers;

/// <summary>A multi-layer perceptron: flatten → (Linear → ReLU → Dropout) per hidden width → Linear head.</summary>
public sealed class Mlp : Module<Tensor, Tensor>, IClassifier
{
    /// <summary>
    /// Creates the hidden layers from hidden_sizes and a head of num_classes outputs, initialised randomly.
    /// </summary>
    public Mlp(ClassifierConfig config, Generator? generator = null)
    {
        Config = config;
        int width = config.InputShape.Aggregate(1, (a, b) => a * b);
        var hidden = new Sequential();
        foreach (int size in config.HiddenSizes)
        {
            hidden.Add(new Linear(width, size, generator: generator));
            hidden.Add(new ReLU());
            if (config.Dropout > 0) hidden.Add(new Dropout(config.Dropout));
            width = size;
        }
        Hidden = RegisterModule("hidden", hidden);
        HeadInFeatures = width;
        Head = RegisterModule("head", new Linear(width, config.NumClasses, generator: generator));
    }

    /// <inheritdoc/>
    public ClassifierConfig Config { get; private set; }
    /// <summary>hidden: the Linear → ReLU (→ Dropout) layers, the backbone.</summary>
    public Sequential Hidden { get; }
    /// <summary>head: the last Linear, to one logit per class.</summary>
    public Linear Head { get; private set; }
    private int HeadInFeatures { get; }

    /// <inheritdoc/>
    public Module<Tensor, Tensor> Module => this;
    /// <inheritdoc/>
    public IReadOnlyList<string> BackbonePatterns => ["hidden.*"];

    /// <summary>Logits [B, classes] for inputs [B, ...], flattened to [B, features] first.</summary>
    public override Tensor Forward(Tensor input) => Head.Forward(Hidden.Forward(input.Flatten(1)));

    /// <summary>
    /// A new head of <paramref name="numClasses"/> outputs; the config's num_classes follows and its labels are
    /// cleared.
    /// </summary>
    public void ReplaceHead(int numClasses, Generator? generator = null)
    {
        Head = ReplaceChild("head", new Linear(HeadInFeatures, numClasses, generator: generator));
        Config = Config with { NumClasses = numClasses, Id2Label = new() };
    }
}
