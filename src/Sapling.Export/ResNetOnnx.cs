using Sapling.Export.Onnx;
using Sapling.Models.Vision;
using Sapling.NN;

namespace Sapling.Export;

/// <summary>
/// A torchvision-layout ResNet as an ONNX graph in eval mode: input "pixel_values" float32 [batch, C, height, width]
/// (normalised as the model was trained), output "logits" [batch, classes] or "features" [batch, num_features] for a
/// model without a classifier. Batch norms are written as nodes, or folded into the convolutions (weight · γ/√(σ²+ε),
/// bias β − μ·γ/√(σ²+ε)) as PyTorch's exporter does in eval mode.
/// </summary>
internal static class ResNetOnnx
{
    public static ModelProto Build(TorchvisionResNet model, bool foldBatchNorm = false)
    {
        var config = model.Config;
        var g = new OnnxGraphBuilder("sapling_torchvision_resnet");
        g.Input("pixel_values", TensorProto.Types.DataType.Float, OnnxExporter.BatchAxis, config.NumChannels, "height", "width");
        var x = g.Node("Relu", [ConvBn(g, model.Conv1, model.Bn1, "conv1", "bn1", "pixel_values", foldBatchNorm)], "relu");
        x = ClassifierOnnx.Emit(g, model.MaxPool, "maxpool", x);
        for (int s = 0; s < model.Stages.Count; s++)
            foreach (var (name, block) in model.Stages[s].NamedChildren())
                x = Block(g, block, $"layer{s + 1}.{name}", x, foldBatchNorm);
        x = g.Node("Flatten", [g.Node("GlobalAveragePool", [x], "avgpool")], "flatten", OnnxAttr.Int("axis", 1));
        string output = "features";
        int width = config.NumFeatures;
        if (model.Fc != null)
        {
            x = ClassifierOnnx.Emit(g, model.Fc, "fc", x);
            (output, width) = ("logits", config.NumClasses);
        }
        g.Output(x, output, TensorProto.Types.DataType.Float, OnnxExporter.BatchAxis, width);
        var metadata = new Dictionary<string, string> { ["model_type"] = TorchvisionResNetConfig.Type, ["layers"] = string.Join(",", config.Layers), ["block"] = config.Block };
        return OnnxModelFile.Create(g.Graph, "Sapling torchvision-layout ResNet. Input: normalised pixels [batch, channels, height, width]; output: " + output + ".", metadata);
    }

    private static string Block(OnnxGraphBuilder g, Module block, string path, string x, bool fold)
    {
        string y;
        Sequential? downsample;
        switch (block)
        {
            case BasicBlock b:
                y = g.Node("Relu", [ConvBn(g, b.Conv1, b.Bn1, $"{path}.conv1", $"{path}.bn1", x, fold)], $"{path}.relu1");
                y = ConvBn(g, b.Conv2, b.Bn2, $"{path}.conv2", $"{path}.bn2", y, fold);
                downsample = b.Downsample;
                break;
            case Bottleneck b:
                y = g.Node("Relu", [ConvBn(g, b.Conv1, b.Bn1, $"{path}.conv1", $"{path}.bn1", x, fold)], $"{path}.relu1");
                y = g.Node("Relu", [ConvBn(g, b.Conv2, b.Bn2, $"{path}.conv2", $"{path}.bn2", y, fold)], $"{path}.relu2");
                y = ConvBn(g, b.Conv3, b.Bn3, $"{path}.conv3", $"{path}.bn3", y, fold);
                downsample = b.Downsample;
                break;
            default:
                throw new NotSupportedException($"ONNX export: block '{path}' ({block.GetType().Name}) has no ONNX translation");
        }
        var skip = downsample != null
            ? ConvBn(g, (Conv2d)downsample[0], (BatchNorm2d)downsample[1], $"{path}.downsample.0", $"{path}.downsample.1", x, fold)
            : x;
        return g.Node("Relu", [g.Node("Add", [y, skip], $"{path}.add")], $"{path}.relu");
    }

    private static string ConvBn(OnnxGraphBuilder g, Conv2d conv, BatchNorm2d bn, string convPath, string bnPath, string x, bool fold)
    {
        if (!fold) return ClassifierOnnx.BatchNorm(g, bn, bnPath, ClassifierOnnx.Emit(g, conv, convPath, x));
        using var _ = Autograd.NoGrad.Enter();
        var a = bn.Weight!.Mul(bn.RunningVar.Add(bn.Eps).Rsqrt());                    // [O]
        var weight = conv.Weight.Mul(a.Reshape(-1, 1, 1, 1));                          // [O, I, kH, kW]
        var bias = bn.Bias!.Sub(bn.RunningMean.Mul(a));                                // [O]
        return g.Node("Conv", [x, g.Weight($"{convPath}.weight", weight), g.Weight($"{convPath}.bias", bias)], convPath,
            OnnxAttr.Ints("kernel_shape", conv.KernelSize.H, conv.KernelSize.W),
            OnnxAttr.Ints("strides", conv.Stride.H, conv.Stride.W),
            OnnxAttr.Ints("pads", conv.Padding.H, conv.Padding.W, conv.Padding.H, conv.Padding.W));
    }
}
