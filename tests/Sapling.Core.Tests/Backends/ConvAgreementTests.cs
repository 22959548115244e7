using Sapling.Backends;
using Sapling.Backends.Cpu;
using Sapling.Backends.Reference;

namespace Sapling.Core.Tests.Backends;

/// <summary>im2col/col2im, convolution and pooling: the CPU backend against the reference over strides, padding and dilation.</summary>
/// <remarks>In the SIMD-width collection: the convolution tests pin the GEMM micro-kernel, which no other test may see.</remarks>
[Collection(SimdWidthCollection.Name)]
public class ConvAgreementTests
{
    private static readonly IKernels Fast = CpuKernels.Instance;
    private static readonly IKernels Reference = new ReferenceKernels();

    /// <summary>Geometries by name: batch, channels, height, width, kernel, stride, padding, dilation (height then width).</summary>
    private static readonly Dictionary<string, Conv2dGeometry> Geometries = new()
    {
        ["1x1 pixel"] = new(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1),
        ["3x3 same"] = new(2, 3, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1),
        ["strided, padded, dilated"] = new(1, 2, 17, 33, 5, 3, 2, 3, 2, 1, 1, 2),
        ["wide rows"] = new(2, 2, 5, 65, 3, 3, 1, 2, 1, 1, 1, 1),
        ["2x2 stride 2"] = new(3, 4, 8, 10, 2, 2, 2, 2, 0, 0, 1, 1),
        ["odd 2x2 stride 2"] = new(1, 2, 7, 17, 2, 2, 2, 2, 0, 0, 1, 1),
        // The digits CNN's planes (rows of 14 and 7 outputs: a full and a short register block) and a wide one.
        ["2x2 stride 2 on 28x28"] = new(2, 3, 28, 28, 2, 2, 2, 2, 0, 0, 1, 1),
        ["2x2 stride 2 on 14x14"] = new(2, 3, 14, 14, 2, 2, 2, 2, 0, 0, 1, 1),
        ["2x2 stride 2, wide rows"] = new(1, 2, 6, 39, 2, 2, 2, 2, 0, 0, 1, 1),
        ["3x3 stride 2 padded"] = new(2, 3, 9, 11, 3, 3, 2, 2, 1, 1, 1, 1),
        ["3x3 stride 2 padded, wide rows"] = new(2, 3, 30, 41, 3, 3, 2, 2, 1, 1, 1, 1),
        ["stem pooling on 56x56"] = new(1, 4, 56, 56, 3, 3, 2, 2, 1, 1, 1, 1),
        ["3x2 window, strides 1 and 2"] = new(1, 2, 9, 40, 3, 2, 1, 2, 1, 0, 1, 1),
        ["large plane"] = new(1, 2, 40, 1031, 3, 3, 1, 1, 1, 1, 1, 1),
    };

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var name in Geometries.Keys) data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Im2ColAndCol2ImAgree(string name)
    {
        var g = Geometries[name];
        var rng = new Random(name.Length);
        int input = g.Batch * g.Channels * g.Height * g.Width;
        int cols = g.Channels * g.KernelH * g.KernelW * g.Batch * g.OutPlane;
        var x = KernelData.Random(rng, input, offset: 3);
        var expected = KernelData.Output(cols);
        var actual = KernelData.Output(cols);
        Reference.Im2Col(x, 3, g, expected);
        Fast.Im2Col(x, 3, g, actual);
        KernelData.Equal(expected, actual, cols, $"im2col {name}");

        var col = KernelData.Random(rng, cols);
        var dx1 = KernelData.ZeroedOutput(input);
        var dx2 = KernelData.ZeroedOutput(input);
        Reference.Col2Im(col, g, dx1);
        Fast.Col2Im(col, g, dx2);
        KernelData.Close(dx1, dx2, input, 1e-5, 1e-5, $"col2im {name}");
    }

    /// <summary>
    /// The convolution kernel (patches packed as they are multiplied, output written per image) against the reference's
    /// sum over every tap, on every micro-kernel this machine has, with output channels that leave partial register
    /// tiles, grouped and depthwise weights where the channels allow.
    /// </summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void ConvolutionAgrees(string name)
    {
        var g = Geometries[name];
        foreach (int groups in g.Channels > 1 ? new[] { 1, g.Channels } : [1])
            foreach (int outChannels in new[] { groups, 13 * groups, 40 * groups })
                ConvolutionAgreesOn(g, groups, outChannels, name);
    }

    /// <summary>Products past one depth block (512), one row block (240) and one column block (4096), split across threads.</summary>
    [Fact]
    public void ConvolutionAgreesOnBlockedProducts()
    {
        ConvolutionAgreesOn(new Conv2dGeometry(3, 60, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1), 1, 250, "depth 540, 250 channels");
        ConvolutionAgreesOn(new Conv2dGeometry(2, 3, 70, 66, 3, 3, 1, 1, 1, 1, 1, 1), 1, 16, "9,240 positions");
        ConvolutionAgreesOn(new Conv2dGeometry(5, 8, 7, 7, 1, 1, 1, 1, 0, 0, 1, 1), 1, 64, "1x1 over 49-position images");
        // Batches of four and more go image by image across the workers; groups of images that fill the bordered buffer.
        ConvolutionAgreesOn(new Conv2dGeometry(6, 16, 13, 30, 3, 3, 1, 1, 1, 1, 1, 1), 1, 40, "six images, 13 positions a row");
        ConvolutionAgreesOn(new Conv2dGeometry(3, 1100, 31, 31, 3, 3, 2, 2, 1, 1, 1, 1), 1, 17, "images larger than a group's buffer");
    }

    private static void ConvolutionAgreesOn(Conv2dGeometry g, int groups, int outChannels, string name)
    {
        var rng = new Random(name.Length + outChannels);
        int input = g.Batch * g.Channels * g.Height * g.Width;
        int weights = outChannels * (g.Channels / groups) * g.KernelH * g.KernelW;
        int output = g.Batch * outChannels * g.OutPlane;
        var x = KernelData.Random(rng, input, offset: 5);
        var w = KernelData.Random(rng, weights, offset: 2);
        // Plain, and with every part of the epilogue: a batch norm's scale and shift, a skip connection, the ReLU.
        var epilogues = new (string Name, ConvEpilogue<float> Epilogue)[]
        {
            ("plain", default),
            ("scale, shift, residual, relu", new ConvEpilogue<float>(KernelData.Random(rng, outChannels, offset: 1), 1,
                KernelData.Random(rng, outChannels, offset: 3), 3, KernelData.Random(rng, output, offset: 4), 4, Relu: true)),
        };
        foreach (var (what, epilogue) in epilogues)
        {
            var expected = KernelData.Output(output);
            Reference.Conv2dForward(x, 5, g, w, 2, outChannels, groups, expected, epilogue);
            foreach (var kernel in KernelsHere())
                foreach (bool direct in kernel == ManagedGemm.KernelKind.Avx512 ? new[] { false, true } : [false])
                {
                    var actual = KernelData.Output(output);
                    ManagedGemm.ForcedKernel = kernel;
                    DirectConv.Disabled = !direct;
                    try
                    {
                        Fast.Conv2dForward(x, 5, g, w, 2, outChannels, groups, actual, epilogue);
                    }
                    finally
                    {
                        ManagedGemm.ForcedKernel = ManagedGemm.KernelKind.Auto;
                        DirectConv.Disabled = false;
                    }
                    // Sums of thousands of products of values up to 3 round differently in different orders.
                    KernelData.Close(expected, actual, output, 1e-4, 1e-3 * Math.Max(1, weights / outChannels / 1000.0),
                        $"conv {name}, groups {groups}, {outChannels} out, {what}, {kernel} kernel{(direct ? ", direct" : "")}");
                }
        }
    }

    private static IEnumerable<ManagedGemm.KernelKind> KernelsHere()
    {
        yield return ManagedGemm.KernelKind.Scalar;
        if (System.Runtime.Intrinsics.X86.Fma.IsSupported) yield return ManagedGemm.KernelKind.Avx2;
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported) yield return ManagedGemm.KernelKind.Avx512;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void MaxPoolAgrees(string name)
    {
        var g = Geometries[name];
        if (g.PadH * 2 > g.KernelH || g.PadW * 2 > g.KernelW) return; // pooling allows padding up to half the window
        var rng = new Random(name.Length);
        int input = g.Batch * g.Channels * g.Height * g.Width, output = g.Batch * g.Channels * g.OutPlane;
        // Coarse values make ties (the first maximum must win) and a few NaN must win over numbers.
        var x = KernelData.Random(rng, input, offset: 1);
        for (int i = 0; i < input; i++) x[1 + i] = MathF.Round(x[1 + i]);
        for (int i = 0; i < input; i += 53) x[1 + i] = float.NaN;
        var (y1, arg1) = (KernelData.Output(output), new int[output]);
        var (y2, arg2) = (KernelData.Output(output), new int[output]);
        Reference.MaxPoolForward(x, 1, g, y1, arg1);
        Fast.MaxPoolForward(x, 1, g, y2, arg2);
        KernelData.Equal(y1, y2, output, $"max pool {name}");
        KernelData.Equal(arg1, arg2, output, $"max pool {name} argmax");
        // Without indices (inference) the values are the same, NaN included.
        var y3 = KernelData.Output(output);
        Fast.MaxPoolForward(x, 1, g, y3, null);
        KernelData.Equal(y1, y3, output, $"max pool {name} values only");

        var dy = KernelData.Random(rng, output, offset: 2);
        var dx1 = KernelData.ZeroedOutput(input);
        var dx2 = KernelData.ZeroedOutput(input);
        Reference.MaxPoolBackward(dy, 2, arg2, g, dx1);
        Fast.MaxPoolBackward(dy, 2, arg2, g, dx2);
        KernelData.Close(dx1, dx2, input, 1e-6, 1e-6, $"max pool backward {name}");
    }

    public static TheoryData<string, bool> AvgCases()
    {
        var data = new TheoryData<string, bool>();
        foreach (var (name, g) in Geometries)
            if (g.DilationH == 1 && g.DilationW == 1 && g.PadH * 2 <= g.KernelH && g.PadW * 2 <= g.KernelW)
                foreach (bool include in new[] { true, false })
                    data.Add(name, include);
        return data;
    }

    [Theory]
    [MemberData(nameof(AvgCases))]
    public void AvgPoolAgrees(string name, bool countIncludePad)
    {
        var g = Geometries[name];
        var rng = new Random(name.Length);
        int input = g.Batch * g.Channels * g.Height * g.Width, output = g.Batch * g.Channels * g.OutPlane;
        var x = KernelData.Random(rng, input, offset: 4);
        var y1 = KernelData.Output(output);
        var y2 = KernelData.Output(output);
        Reference.AvgPoolForward(x, 4, g, y1, countIncludePad);
        Fast.AvgPoolForward(x, 4, g, y2, countIncludePad);
        KernelData.Close(y1, y2, output, 1e-5, 1e-6, $"avg pool {name} include={countIncludePad}");

        var dy = KernelData.Random(rng, output, offset: 1);
        var dx1 = KernelData.ZeroedOutput(input);
        var dx2 = KernelData.ZeroedOutput(input);
        Reference.AvgPoolBackward(dy, 1, g, dx1, countIncludePad);
        Fast.AvgPoolBackward(dy, 1, g, dx2, countIncludePad);
        KernelData.Close(dx1, dx2, input, 1e-5, 1e-6, $"avg pool backward {name} include={countIncludePad}");
    }

    [Theory]
    [InlineData(6, 7, 9, 3, 2)]
    [InlineData(2, 17, 33, 5, 7)]
    [InlineData(3, 1, 1, 1, 1)]
    [InlineData(2, 65, 65, 1, 1)]
    [InlineData(4, 3, 5, 7, 8)]
    [InlineData(2, 40, 1031, 4, 33)]
    public void AdaptiveAvgPoolAgrees(int planes, int h, int w, int oh, int ow)
    {
        var rng = new Random(planes * 1000 + h * 10 + w);
        var x = KernelData.Random(rng, planes * h * w, offset: 2);
        var y1 = KernelData.Output(planes * oh * ow);
        var y2 = KernelData.Output(planes * oh * ow);
        Reference.AdaptiveAvgPoolForward(x, 2, planes, h, w, oh, ow, y1);
        Fast.AdaptiveAvgPoolForward(x, 2, planes, h, w, oh, ow, y2);
        KernelData.Close(y1, y2, planes * oh * ow, 1e-5, 1e-6, $"adaptive avg pool {h}x{w} -> {oh}x{ow}");

        var dy = KernelData.Random(rng, planes * oh * ow, offset: 3);
        var dx1 = KernelData.ZeroedOutput(planes * h * w);
        var dx2 = KernelData.ZeroedOutput(planes * h * w);
        Reference.AdaptiveAvgPoolBackward(dy, 3, planes, h, w, oh, ow, dx1);
        Fast.AdaptiveAvgPoolBackward(dy, 3, planes, h, w, oh, ow, dx2);
        KernelData.Close(dx1, dx2, planes * h * w, 1e-5, 1e-6, $"adaptive avg pool backward {h}x{w} -> {oh}x{ow}");
    }
}
