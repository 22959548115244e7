using Sapling.NN;

namespace Sapling.Models.Classifiers;

/// <summary>
/// A small ResNet (He et al., 2016) for low-resolution images: a 3×3 stem, stages of basic residual blocks (the first
/// block of each later stage halves the resolution), global average pooling and a linear head.
/// </summary>
public sealed class ResNet : Module<Tensor, Tensor>, IClassifier
{
    /// <summary>
    /// Creates the stem, one stage per entry of channels with blocks_per_stage blocks each, and a head of num_classes
    /// outputs, initialised randomly.
    /// </summary>
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

    /// <inheritdoc/>
    public ClassifierConfig Config { get; private set; }
    /// <summary>stem: 3×3 convolution → BatchNorm → ReLU to the first stage's width.</summary>
    public Sequential Stem { get; }
    /// <summary>stages: the residual stages, each a sequence of <see cref="BasicBlock"/>s.</summary>
    public Sequential Stages { get; }
    /// <summary>pool: global average pooling to one vector per image.</summary>
    public AdaptiveAvgPool2d Pool { get; }
    /// <summary>head: the Linear from the last stage's width to one logit per class.</summary>
    public Linear Head { get; private set; }

    /// <inheritdoc/>
    public Module<Tensor, Tensor> Module => this;
    /// <inheritdoc/>
    public IReadOnlyList<string> BackbonePatterns => ["stem.*", "stages.*"];

    /// <summary>Logits [B, classes] for images [B, C, H, W].</summary>
    public override Tensor Forward(Tensor input) => Head.Forward(Pool.Forward(Stages.Forward(Stem.Forward(input))).Flatten(1));

    /// <summary>
    /// A new head of <paramref name="numClasses"/> outputs; the config's num_classes follows and its labels are
    /// cleared.
    /// </summary>
    public void ReplaceHead(int numClasses, Generator? generator = null)
    {
        Head = ReplaceChild("head", new Linear(Config.Channels[^1], numClasses, generator: generator));
        Config = Config with { NumClasses = numClasses, Id2Label = new() };
    }
}

/// <summary>conv3×3 → BN → ReLU → conv3×3 → BN, plus the input (through a 1×1 conv + BN when the shape changes), then ReLU.</summary>
public sealed class BasicBlock : Module<Tensor, Tensor>
{
    /// <summary>
    /// Creates the block; <paramref name="stride"/> 2 halves the resolution, and a shortcut projection is added when
    /// the stride or the width changes.
    /// </summary>
    public BasicBlock(int inChannels, int outChannels, int stride, Generator? generator = null)
    {
        Conv1 = RegisterModule("conv1", new Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false, generator: generator));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(outChannels));
        Conv2 = RegisterModule("conv2", new Conv2d(outChannels, outChannels, 3, padding: 1, bias: false, generator: generator));
        Bn2 = RegisterModule("bn2", new BatchNorm2d(outChannels));
        if (stride != 1 || inChannels != outChannels)
            Shortcut = RegisterModule("shortcut", new Sequential(new Conv2d(inChannels, outChannels, 1, stride: stride, bias: false, generator: generator), new BatchNorm2d(outChannels)));
    }

    /// <summary>conv1: the first 3×3 convolution (with the block's stride).</summary>
    public Conv2d Conv1 { get; }
    /// <summary>bn1: the batch norm after conv1.</summary>
    public BatchNorm2d Bn1 { get; }
    /// <summary>conv2: the second 3×3 convolution.</summary>
    public Conv2d Conv2 { get; }
    /// <summary>bn2: the batch norm after conv2.</summary>
    public BatchNorm2d Bn2 { get; }
    /// <summary>
    /// shortcut: 1×1 convolution + batch norm matching the input to the output; null when the shapes agree.
    /// </summary>
    public Sequential? Shortcut { get; }

    /// <summary>The block for [B, in, H, W]: [B, out, H / stride, W / stride].</summary>
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
