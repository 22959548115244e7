using Sapling.NN;

namespace Sapling.Models.Vision;

/// <summary>1×1 reduce, 3×3 (strided, as torchvision's v1.5), 1×1 expand ×4, each with batch norm, added to the input.</summary>
public sealed class Bottleneck : Module<Tensor, Tensor>
{
    /// <summary>How many times wider the block's output is than its inner width.</summary>
    public const int Expansion = 4;

    /// <summary>
    /// Creates the block with inner <paramref name="width"/> and 4 × width output channels; <paramref name="stride"/> 2
    /// halves the resolution, and a downsample projection is added when the stride or the channel count changes.
    /// </summary>
    public Bottleneck(int inChannels, int width, int stride, Generator? generator = null)
    {
        int outChannels = width * Expansion;
        Conv1 = RegisterModule("conv1", new Conv2d(inChannels, width, 1, bias: false, generator: generator));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(width));
        Conv2 = RegisterModule("conv2", new Conv2d(width, width, 3, stride: stride, padding: 1, bias: false, generator: generator));
        Bn2 = RegisterModule("bn2", new BatchNorm2d(width));
        Conv3 = RegisterModule("conv3", new Conv2d(width, outChannels, 1, bias: false, generator: generator));
        Bn3 = RegisterModule("bn3", new BatchNorm2d(outChannels));
        if (stride != 1 || inChannels != outChannels)
            Downsample = RegisterModule("downsample", new Sequential(new Conv2d(inChannels, outChannels, 1, stride: stride, bias: false, generator: generator), new BatchNorm2d(outChannels)));
    }

    /// <summary>conv1: the 1×1 reduction to the inner width.</summary>
    public Conv2d Conv1 { get; }
    /// <summary>bn1: the batch norm after conv1.</summary>
    public BatchNorm2d Bn1 { get; }
    /// <summary>conv2: the 3×3 convolution, carrying the block's stride.</summary>
    public Conv2d Conv2 { get; }
    /// <summary>bn2: the batch norm after conv2.</summary>
    public BatchNorm2d Bn2 { get; }
    /// <summary>conv3: the 1×1 expansion to 4 × width.</summary>
    public Conv2d Conv3 { get; }
    /// <summary>bn3: the batch norm after conv3.</summary>
    public BatchNorm2d Bn3 { get; }
    /// <summary>
    /// downsample: strided 1×1 convolution + batch norm matching the input to the output; null when they agree.
    /// </summary>
    public Sequential? Downsample { get; }

    /// <summary>
    /// The block with its skip connection and final ReLU: [N, in, H, W] → [N, 4·width, H / stride, W / stride].
    /// </summary>
    public override Tensor Forward(Tensor x)
    {
        // Each line is relu(bn(conv(·))), one pass over the output in inference (Conv2d.Forward with a norm).
        var y = Conv1.Forward(x, Bn1, relu: true);                          // [N, width, H, W]
        y = Conv2.Forward(y, Bn2, relu: true);                              // [N, width, H/stride, W/stride]
        var identity = Skip(x);                                             // [N, 4·width, H/stride, W/stride]
        return Conv3.Forward(y, Bn3, residual: identity, relu: true);
    }

    /// <summary>The skip connection: the input, or its 1×1 convolution and batch norm (one fused pass in inference).</summary>
    private Tensor Skip(Tensor x) => Downsample switch
    {
        null => x,
        { } path when path[0] is Conv2d conv && path[1] is BatchNorm norm => conv.Forward(x, norm),
        { } path => path.Forward(x),
    };
}
