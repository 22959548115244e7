using Sapling.NN;

namespace Sapling.Models.Classifiers;

/// <summary>
/// A small convolutional network: per block conv(k×k, same padding) → [BatchNorm] → ReLU → 2×2 max-pool; then
/// flatten → Linear → ReLU → Dropout → Linear head.
/// </summary>
public sealed class SmallCnn : Module<Tensor, Tensor>, IClassifier
{
    /// <summary>
    /// Creates one convolution block per entry of channels (a block pools only while the image is at least 2×2), the
    /// fully connected layer and a head of num_classes outputs, initialised randomly.
    /// </summary>
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
        FlatFeatures = channels * h * w;
        Fc = RegisterModule("fc", NewFc(generator));
        Head = RegisterModule("head", new Linear(config.HiddenSize, config.NumClasses, generator: generator));
    }

    private int FlatFeatures { get; }

    private Sequential NewFc(Generator? generator)
    {
        var fc = new Sequential(new Flatten(), new Linear(FlatFeatures, Config.HiddenSize, generator: generator), new ReLU());
        if (Config.Dropout > 0) fc.Add(new Dropout(Config.Dropout));
        return fc;
    }

    /// <inheritdoc/>
    public ClassifierConfig Config { get; private set; }
    /// <summary>features: the convolution blocks, the backbone.</summary>
    public Sequential Features { get; }
    /// <summary>fc: flatten → Linear to hidden_size → ReLU (→ Dropout).</summary>
    public Sequential Fc { get; private set; }
    /// <summary>head: the Linear from hidden_size to one logit per class.</summary>
    public Linear Head { get; private set; }

    /// <inheritdoc/>
    public Module<Tensor, Tensor> Module => this;
    /// <summary>The convolutions; the fully connected layers are specific to the old classes and are replaced with the head.</summary>
    public IReadOnlyList<string> BackbonePatterns => ["features.*"];

    /// <summary>Logits [B, classes] for images [B, C, H, W].</summary>
    public override Tensor Forward(Tensor input) => Head.Forward(Fc.Forward(Features.Forward(input)));

    /// <summary>New fully connected layer and output layer; trained on few classes, the old ones carry little else (their features collapse onto the classes).</summary>
    public void ReplaceHead(int numClasses, Generator? generator = null)
    {
        Fc = ReplaceChild("fc", NewFc(generator));
        Head = ReplaceChild("head", new Linear(Config.HiddenSize, numClasses, generator: generator));
        Config = Config with { NumClasses = numClasses, Id2Label = new() };
    }
}
