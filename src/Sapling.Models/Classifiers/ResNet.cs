using Sapling.NN;

namespace Sapling.Models.Classifiers;

/// <summary>
/// A small ResNet (He et al., 2016) for low-resolution images: a 3×3 stem, stages of basic residual blocks (the first
/// block of each later stage halves the resolution), global average pooling and a linear head.
/// </summary>
public sealed class ResNet : Module<Tensor, Tensor>, IClassifier
{
    public ResNet(ClassifierConfig config, Generator? generator = null)
    {
        Config = config;
        int inChannels = config.InputShape[0];
        int width = config.Channels[0];
        Stem = RegisterModule("stem", new Sequential(
            new Conv2d(inChannels, width, 3, padding: 1, bias: false, generator: generator), new BatchNorm2d(width), new ReLU()));
        var stages = new Sequential();
        for (int s = 0; s < config.Channels.Length; s++)
        {
            var stage = new Sequential();
            for (int b = 0; b < config.BlocksPerStage; b++)
            {
                int stride = s > 0 && b == 0 ? 2 : 1;
                stage.Add(new BasicBlock(width, config.Channels[s], stride, generator));
                width = config.Channels[s];
            }
            stages.Add(stage);
        }
        Stages = RegisterModule("stages", stages);
        Pool = RegisterModule("pool", new AdaptiveAvgPool2d(1));
        Head = RegisterModule("head", new Linear(width, config.NumClasses, generator: generator));
    }

    public ClassifierConfig Config { get; private set; }
    public Sequential Stem { get; }
    public Sequential Stages { get; }
    public AdaptiveAvgPool2d Pool { get; }
    public Linear Head { get; private set; }

    public Module<Tensor, Tensor> Module => this;
    public IReadOnlyList<string> BackbonePatterns => ["stem.*", "stages.*"];

    public override Tensor Forward(Tensor input) => Head.Forward(Pool.Forward(Stages.Forward(Stem.Forward(input))).Flatten(1));

    public void ReplaceHead(int numClasses, Generator? generator = null)
    {
        Head = ReplaceChild("head", new Linear(Config.Channels[^1], numClasses, generator: generator));
        Config = Config with { NumClasses = numClasses, Id2Label = new() };
    }
}

/// <summary>conv3×3 → BN → ReLU → conv3×3 → BN, plus the input (through a 1×1 conv + BN when the shape changes), then ReLU.</summary>
public sealed class BasicBlock : Module<Tensor, Tensor>
{
    public BasicBlock(int inChannels, int outChannels, int stride, Generator? generator = null)
    {
        Conv1 = RegisterModule("conv1", new Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false, generator: generator));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(outChannels));
        Conv2 = RegisterModule("conv2", new Conv2d(outChannels, outChannels, 3, padding: 1, bias: false, generator: generator));
        Bn2 = RegisterModule("bn2", new BatchNorm2d(outChannels));
        if (stride != 1 || inChannels != outChannels)
            Shortcut = RegisterModule("shortcut", new Sequential(new Conv2d(inChannels, outChannels, 1, stride: stride, bias: false, generator: generator), new BatchNorm2d(outChannels)));
    }

    public Conv2d Conv1 { get; }
    public BatchNorm2d Bn1 { get; }
    public Conv2d Conv2 { get; }
    public BatchNorm2d Bn2 { get; }
    public Sequential? Shortcut { get; }

    public override Tensor Forward(Tensor input)
    {
        // relu(bn(conv(·))) and relu(bn(conv(·)) + skip) are one pass each in inference (Conv2d.Forward with a norm).
        var y = Conv1.Forward(input, Bn1, relu: true);
        var skip = Skip(input);
        return Conv2.Forward(y, Bn2, residual: skip, relu: true);
    }

    /// <summary>The skip connection: the input, or its 1×1 convolution and batch norm (one fused pass in inference).</summary>
    private Tensor Skip(Tensor input) => Shortcut switch
    {
        null => input,
        { } path when path[0] is Conv2d conv && path[1] is BatchNorm norm => conv.Forward(input, norm),
        { } path => path.Forward(input),
    };
}
