using Sapling.Models.Vision;
using Sapling.NN;

namespace Sapling.Models.Classifiers;

/// <summary>
/// A torchvision-layout ResNet in the classifier recipes (train, predict, export, serve): its folder keeps the ResNet's
/// own config.json (torchvision names, image size, normalization, labels), and the classifier view derives the shared
/// <see cref="ClassifierConfig"/> from it. The backbone is everything but <c>fc</c>, so transfer learning replaces
/// only the classifier of an ImageNet ResNet imported from ONNX or loaded from a torchvision checkpoint.
/// </summary>
public sealed class TorchvisionResNetClassifier : IClassifier
{
    /// <summary>
    /// Wraps <paramref name="network"/>; <paramref name="config"/> null derives the classifier config from the
    /// network's own.
    /// </summary>
    public TorchvisionResNetClassifier(TorchvisionResNet network, ClassifierConfig? config = null)
    {
        Network = network;
        Config = config ?? ClassifierView(network.Config);
    }

    /// <summary>A new ResNet from a classifier configuration (model.type torchvision_resnet with block and layers).</summary>
    public static TorchvisionResNetClassifier Create(ClassifierConfig config, Generator? generator = null)
    {
        var network = new TorchvisionResNet(new TorchvisionResNetConfig
        {
            Block = config.Block ?? "basic",
            Layers = config.Layers ?? [2, 2, 2, 2],
            NumChannels = config.InputShape[0],
            NumClasses = config.NumClasses,
            ImageSize = [config.InputShape[1], config.InputShape[2]],
            ResizeShorterSide = config.ResizeShorterSide,
            Normalization = config.Normalization,
            Id2Label = config.Id2Label,
        }, generator);
        return new TorchvisionResNetClassifier(network, config);
    }

    /// <summary>The ResNet itself.</summary>
    public TorchvisionResNet Network { get; }

    /// <inheritdoc/>
    public ClassifierConfig Config { get; private set; }

    /// <inheritdoc/>
    public Module<Tensor, Tensor> Module => Network;

    /// <inheritdoc/>
    public IReadOnlyList<string> BackbonePatterns => ["conv1.*", "bn1.*", "layer1.*", "layer2.*", "layer3.*", "layer4.*"];

    /// <inheritdoc/>
    public void ReplaceHead(int numClasses, Generator? generator = null)
    {
        Network.ReplaceClassifier(numClasses, generator);
        Config = Config with { NumClasses = numClasses, Id2Label = new() };
    }

    /// <summary>The ResNet's config.json carrying the classifier's labels, input size and normalization, as the folder stores it.</summary>
    public static TorchvisionResNetConfig FolderConfig(TorchvisionResNet network, ClassifierConfig config)
    {
        if (config.InputScale != 1f) throw new NotSupportedException($"a torchvision ResNet takes pixels in [0, 1]; input_scale {config.InputScale} is not supported");
        return network.Config with
        {
            Id2Label = config.Id2Label,
            ImageSize = [config.InputShape[1], config.InputShape[2]],
            ResizeShorterSide = config.ResizeShorterSide,
            Normalization = config.Normalization,
            Quantization = config.Quantization,
        };
    }

    /// <summary>The shared classifier description of a ResNet folder's config.</summary>
    public static ClassifierConfig ClassifierView(TorchvisionResNetConfig config) => new()
    {
        ModelType = TorchvisionResNetConfig.Type,
        InputShape = [config.NumChannels, config.ImageSize[0], config.ImageSize[1]],
        NumClasses = config.NumClasses,
        Block = config.Block,
        Layers = config.Layers,
        Id2Label = config.Id2Label,
        Normalization = config.Normalization,
        ResizeShorterSide = config.ResizeShorterSide,
        InputScale = 1f,
        Quantization = config.Quantization,
    };
}
