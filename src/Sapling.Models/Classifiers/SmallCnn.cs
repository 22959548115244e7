using Sapling.NN;

namespace Sapling.Models.Classifiers;

/// <summary>
/// A small convolutional network: per block conv(k×k, same padding) → [BatchNorm] → ReLU → 2×2 max-pool; then
/// flatten → Linear → ReLU → Dropout → Linear head.
/// </summary>
public sealed class SmallCnn : Module<Tensor, Tensor>, IClassifier
{
    public SmallCnn(ClassifierConfig config, Generator? generator = null)
    {
        Config = config;
        int channels = config.InputShape[0], h = config.InputShape[1], w = config.InputShape[2];
        var features = new Sequential();
        foreach (int width in config.Channels)
        {
            features.Add(new Conv2d(channels, width, config.KernelSize, padding: config.KernelSize / 2, bias: !config.BatchNorm, generator: generator));
            if (config.BatchNorm) features.Add(new BatchNorm2d(width));
            features.Add(new ReLU());
            if (h >= 2 && w >= 2)
            {
                features.Add(new MaxPool2d(2));
                (h, w) = (h / 2, w / 2);
            }
            channels = width;
        }
        Features = RegisterModule("features", features);
        var fc = new Sequential(new Flatten(), new Linear(channels * h * w, config.HiddenSize, generator: generator), new ReLU());
        if (config.Dropout > 0) fc.Add(new Dropout(config.Dropout));
        Fc = RegisterModule("fc", fc);
        Head = RegisterModule("head", new Linear(config.HiddenSize, config.NumClasses, generator: generator));
    }

    public ClassifierConfig Config { get; private set; }
    public Sequential Features { get; }
    public Sequential Fc { get; }
    public Linear Head { get; private set; }

    public Module<Tensor, Tensor> Module => this;
    public IReadOnlyList<string> BackbonePatterns => ["features.*", "fc.*"];

    public override Tensor Forward(Tensor input) => Head.Forward(Fc.Forward(Features.Forward(input)));

    public void ReplaceHead(int numClasses, Generator? generator = null)
    {
        Head = ReplaceChild("head", new Linear(Config.HiddenSize, numClasses, generator: generator));
        Config = Config with { NumClasses = numClasses, Id2Label = new() };
    }
}
