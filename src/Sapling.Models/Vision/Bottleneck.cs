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
        var y = Bn1.Forward(Conv1.Forward(x)).Relu();
        y = Bn2.Forward(Conv2.Forward(y)).Relu();
        y = Bn3.Forward(Conv3.Forward(y));
        return y.Add(Downsample != null ? Downsample.Forward(x) : x).Relu();
    }
}
