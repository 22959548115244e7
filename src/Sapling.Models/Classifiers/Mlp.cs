using Sapling.NN;

namespace Sapling.Models.Classifiers;

/// <summary>A multi-layer perceptron: flatten → (Linear → ReLU → Dropout) per hidden width → Linear head.</summary>
public sealed class Mlp : Module<Tensor, Tensor>, IClassifier
{
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

    public ClassifierConfig Config { get; private set; }
    public Sequential Hidden { get; }
    public Linear Head { get; private set; }
    private int HeadInFeatures { get; }

    public Module<Tensor, Tensor> Module => this;
    public IReadOnlyList<string> BackbonePatterns => ["hidden.*"];

    public override Tensor Forward(Tensor input) => Head.Forward(Hidden.Forward(input.Flatten(1)));

    public void ReplaceHead(int numClasses, Generator? generator = null)
    {
        Head = ReplaceChild("head", new Linear(HeadInFeatures, numClasses, generator: generator));
        Config = Config with { NumClasses = numClasses, Id2Label = new() };
    }
}
