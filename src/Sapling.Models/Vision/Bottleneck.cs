using Sapling.NN;

namespace Sapling.Models.Vision;

/// <summary>1×1 reduce, 3×3 (strided, as torchvision's v1.5), 1×1 expand ×4, each with batch norm, added to the input.</summary>
public sealed class Bottleneck : Module<Tensor, Tensor>
{
    public const int Expansion = 4;

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

    public Conv2d Conv1 { get; }
    public BatchNorm2d Bn1 { get; }
    public Conv2d Conv2 { get; }
    public BatchNorm2d Bn2 { get; }
    public Conv2d Conv3 { get; }
    public BatchNorm2d Bn3 { get; }
    public Sequential? Downsample { get; }

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
