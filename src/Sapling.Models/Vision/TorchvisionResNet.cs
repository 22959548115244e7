using Sapling.NN;

namespace Sapling.Models.Vision;

/// <summary>
/// ResNet (He, Zhang, Ren and Sun, "Deep Residual Learning for Image Recognition", 2016) in torchvision's layout and
/// state_dict names, so a torchvision checkpoint saved as safetensors loads unchanged: a 7×7 stride-2 stem and a 3×3
/// max pool, four stages of residual blocks at 64, 128, 256 and 512 channels (× 4 for bottlenecks), the later three
/// halving the resolution in their first block, global average pooling and a linear classifier <c>fc</c>.
/// </summary>
public sealed class TorchvisionResNet : Module<Tensor, Tensor>
{
    /// <summary>
    /// Creates the network for <paramref name="config"/> (validated first), initialised as torchvision does; without a
    /// classifier when num_classes is 0.
    /// </summary>
    public TorchvisionResNet(TorchvisionResNetConfig config, Generator? generator = null)
    {
        config.Validate("ResNet config");
        Config = config;
        // Stem: [N, 3, H, W] → [N, 64, H/4, W/4]
        Conv1 = RegisterModule("conv1", new Conv2d(config.NumChannels, 64, 7, stride: 2, padding: 3, bias: false, generator: generator));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(64));
        MaxPool = RegisterModule("maxpool", new MaxPool2d(3, 2, 1));
        int inChannels = 64;
        var stages = new Sequential[4];
        for (int s = 0; s < 4; s++)
        {
            int width = 64 << s;
            var stage = new Sequential();
            for (int b = 0; b < config.Layers[s]; b++)
            {
                int stride = s > 0 && b == 0 ? 2 : 1;
                stage.Add(config.Block == "bottleneck"
                    ? new Bottleneck(inChannels, width, stride, generator)
                    : new BasicBlock(inChannels, width, stride, generator));
                inChannels = width * config.Expansion;
            }
            stages[s] = RegisterModule($"layer{s + 1}", stage);
        }
        Stages = stages;
        if (config.NumClasses > 0) Fc = RegisterModule("fc", new Linear(config.NumFeatures, config.NumClasses, generator: generator));
        InitializeLikeTorchvision(generator);
    }

    /// <summary>The network's config; num_classes and id2label follow <see cref="ReplaceClassifier"/>.</summary>
    public TorchvisionResNetConfig Config { get; private set; }
    /// <summary>conv1: the 7×7 stride-2 stem convolution, num_channels → 64.</summary>
    public Conv2d Conv1 { get; }
    /// <summary>bn1: the batch norm after the stem convolution.</summary>
    public BatchNorm2d Bn1 { get; }
    /// <summary>maxpool: the 3×3 stride-2 max pool after the stem.</summary>
    public MaxPool2d MaxPool { get; }
    /// <summary>layer1 … layer4: the four stages of residual blocks.</summary>
    public IReadOnlyList<Sequential> Stages { get; }

    /// <summary>The classifier; null when num_classes is 0 (the model returns features).</summary>
    public Linear? Fc { get; private set; }

    /// <summary>A new, freshly initialised classifier for <paramref name="numClasses"/> classes (transfer learning); 0 removes it.</summary>
    public void ReplaceClassifier(int numClasses, Generator? generator = null)
    {
        if (numClasses < 0) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "ResNet: a classifier needs 0 or more classes");
        var fc = numClasses > 0 ? new Linear(Config.NumFeatures, numClasses, generator: generator) : null;
        if (Fc != null && fc != null) Fc = ReplaceChild("fc", fc);
        else if (Fc != null) { RemoveChild("fc"); Fc = null; }
        else if (fc != null) Fc = RegisterModule("fc", fc);
        Config = Config with { NumClasses = numClasses, Id2Label = new() };
    }

    /// <summary>Logits [N, num_classes], or the pooled features [N, num_features] when there is no classifier.</summary>
    public override Tensor Forward(Tensor pixels) => Fc != null ? Fc.Forward(Features(pixels)) : Features(pixels);

    /// <summary>The globally averaged output of the last stage: [N, C, H, W] → [N, num_features].</summary>
    public Tensor Features(Tensor pixels)
    {
        if (pixels.Rank != 4 || pixels.Shape[1] != Config.NumChannels)
            throw new ArgumentException($"ResNet: expected pixels [N, {Config.NumChannels}, H, W], got shape {ShapeUtil.Format(pixels.Shape.ToArray())}");
        // In inference each block's intermediates go back to the pool when it returns (KeepOnlyResult), so a batch of
        // 32 ImageNet images holds a block's activations at a time rather than the whole network's.
        var x = TensorScope.KeepOnlyResult(() => MaxPool.Forward(Conv1.Forward(pixels, Bn1, relu: true)));   // [N, 64, H/4, W/4]
        foreach (var stage in Stages)
            for (int b = 0; b < stage.Count; b++)
            {
                var input = x;
                x = TensorScope.KeepOnlyResult(() => stage[b].Forward(input));                                   // [N, 512·e, H/32, W/32] at the end
            }
        return x.Mean([2, 3]);                                                                                    // [N, 512·e]
    }

    /// <summary>torchvision's initialisation: Kaiming-normal convolutions (fan out, ReLU gain), batch norms at γ = 1, β = 0.</summary>
    private void InitializeLikeTorchvision(Generator? generator)
    {
        using var _ = Autograd.NoGrad.Enter();
        foreach (var (_, module) in NamedModules())
            if (module is Conv2d conv) Init.KaimingNormal(conv.Weight, fanIn: false, nonlinearity: "relu", g: generator);
    }
}
