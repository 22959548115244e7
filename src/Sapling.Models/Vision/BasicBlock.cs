using Sapling.NN;

namespace Sapling.Models.Vision;

/// <summary>Two 3×3 convolutions with batch norm, added to the input (through a strided 1×1 convolution when the shape changes).</summary>
public sealed class BasicBlock : Module<Tensor, Tensor>
{
    /// <summary>
    /// Creates the block with <paramref name="width"/> output channels; <paramref name="stride"/> 2 halves the
    /// resolution, and a downsample projection is added when the stride or the channel count changes.
    /// </summary>
    public BasicBlock(int inChannels, int width, int stride, Generator? generator = null)
    {
        Conv1 = RegisterModule("conv1", new Conv2d(inChannels, width, 3, stride: stride, padding: 1, bias: false, generator: generator));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(width));
        Conv2 = RegisterModule("conv2", new Conv2d(width, width, 3, padding: 1, bias: false, generator: generator));
        Bn2 = RegisterModule("bn2", new BatchNorm2d(width));
        if (stride != 1 || inChannels != width)
            Downsample = RegisterModule("downsample", new Sequential(new Conv2d(inChannels, width, 1, stride: stride, bias: false, generator: generator), new BatchNorm2d(width)));
    }

    /// <summary>conv1: the first 3×3 convolution, carrying the block's stride.</summary>
    public Conv2d Conv1 { get; }
    /// <summary>bn1: the batch norm after conv1.</summary>
    public BatchNorm2d Bn1 { get; }
    /// <summary>conv2: the second 3×3 convolution.</summary>
    public Conv2d Conv2 { get; }
    /// <summary>bn2: the batch norm after conv2.</summary>
    public BatchNorm2d Bn2 { get; }
    /// <summary>
    /// downsample: strided 1×1 convolution + batch norm matching the input to the output; null when they agree.
    /// </summary>
    public Sequential? Downsample { get; }

    /// <summary>
    /// relu(bn2(conv2(relu(bn1(conv1(x))))) + skip): [N, in, H, W] → [N, width, H / stride, W / stride].
    /// </summary>
    public override Tensor Forward(Tensor x)
    {
        // relu(bn(conv(·))) is one pass over the output in inference (Conv2d.Forward with a norm); so is the second
        // convolution with its batch norm, the skip connection and the last ReLU.
        var y = Conv1.Forward(x, Bn1, relu: true);                          // [N, width, H/stride, W/stride]
        var identity = Skip(x);                                             // [N, width, H/stride, W/stride]
        return Conv2.Forward(y, Bn2, residual: identity, relu: true);
    }

    /// <summary>The skip connection: the input, or its 1×1 convolution and batch norm (one fused pass in inference).</summary>
    private Tensor Skip(Tensor x) => Downsample switch
    {
        null => x,
        { } path when path[0] is Conv2d conv && path[1] is BatchNorm norm => conv.Forward(x, norm),
        { } path => path.Forward(x),
    };
}
