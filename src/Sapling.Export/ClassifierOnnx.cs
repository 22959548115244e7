using System.Text.Json;
using Sapling.Export.Onnx;
using Sapling.Models.Classifiers;
using Sapling.NN;

namespace Sapling.Export;

/// <summary>
/// The image and feature classifiers (MLP, small CNN, ResNet) as ONNX graphs in eval mode: input "input"
/// float32 [batch, ...input_shape] (already scaled and normalised, as the model itself receives it), output
/// "logits" [batch, classes]. Batch norm uses its running statistics and dropout is left out, as in eval mode.
/// </summary>
internal static class ClassifierOnnx
{
    public static ModelProto Build(IClassifier classifier)
    {
        var config = classifier.Config;
        var g = new OnnxGraphBuilder($"sapling_{config.ModelType}");
        g.Input("input", TensorProto.Types.DataType.Float, [OnnxExporter.BatchAxis, .. config.InputShape.Select(d => (OnnxDim)d)]);
        // The top-level order repeats each model's Forward; the walk below handles what is inside each part.
        var x = classifier switch
        {
            Mlp mlp => Emit(g, mlp.Head, "head", Emit(g, mlp.Hidden, "hidden", g.Node("Flatten", ["input"], "flatten", OnnxAttr.Int("axis", 1)))),
            SmallCnn cnn => Emit(g, cnn.Head, "head", Emit(g, cnn.Fc, "fc", Emit(g, cnn.Features, "features", "input"))),
            ResNet net => Emit(g, net.Head, "head", g.Node("Flatten", [Emit(g, net.Pool, "pool", Emit(g, net.Stages, "stages", Emit(g, net.Stem, "stem", "input")))], "flatten", OnnxAttr.Int("axis", 1))),
            _ => throw new NotSupportedException($"ONNX export: classifier type {classifier.GetType().Name} is not supported (mlp, cnn, resnet are)"),
        };
        g.Output(x, "logits", TensorProto.Types.DataType.Float, OnnxExporter.BatchAxis, config.NumClasses);
        return OnnxModelFile.Create(g.Graph, $"Sapling {config.ModelType} classifier. Input: the preprocessed example (raw values / input_scale, then normalised by the metadata's mean and std); output: class logits.", Metadata(config));
    }

    /// <summary>What a consumer needs to preprocess inputs and name outputs, as the model folder's config.json says it.</summary>
    private static Dictionary<string, string> Metadata(ClassifierConfig config)
    {
        var metadata = new Dictionary<string, string>
        {
            ["model_type"] = config.ModelType,
            ["input_scale"] = config.InputScale.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            ["id2label"] = JsonSerializer.Serialize(config.Id2Label),
        };
        if (config.Normalization != null) metadata["normalization"] = JsonSerializer.Serialize(config.Normalization);
        return metadata;
    }

    /// <summary>Appends the nodes of <paramref name="module"/> (state-dict path <paramref name="path"/>) applied to value <paramref name="x"/>.</summary>
    internal static string Emit(OnnxGraphBuilder g, Module module, string path, string x)
    {
        switch (module)
        {
            case Sequential seq:
                foreach (var (name, child) in seq.NamedChildren()) x = Emit(g, child, $"{path}.{name}", x);
                return x;
            case Linear linear:
                RequireNoAdapter(linear, path);
                // Gemm computes x·Wᵀ + b with W stored [out, in], exactly Linear's layout; the input is 2-D after Flatten.
                string[] gemmInputs = linear.Bias != null
                    ? [x, g.Weight($"{path}.weight", linear.Weight), g.Weight($"{path}.bias", linear.Bias)]
                    : [x, g.Weight($"{path}.weight", linear.Weight)];
                return g.Node("Gemm", gemmInputs, path, OnnxAttr.Int("transB", 1));
            case Conv2d conv:
                string[] convInputs = conv.Bias != null
                    ? [x, g.Weight($"{path}.weight", conv.Weight), g.Weight($"{path}.bias", conv.Bias)]
                    : [x, g.Weight($"{path}.weight", conv.Weight)];
                return g.Node("Conv", convInputs, path,
                    OnnxAttr.Ints("kernel_shape", conv.KernelSize.H, conv.KernelSize.W),
                    OnnxAttr.Ints("strides", conv.Stride.H, conv.Stride.W),
                    OnnxAttr.Ints("pads", conv.Padding.H, conv.Padding.W, conv.Padding.H, conv.Padding.W),
                    OnnxAttr.Ints("dilations", conv.Dilation.H, conv.Dilation.W),
                    OnnxAttr.Int("group", conv.Groups));
            case BatchNorm2d bn:
                return BatchNorm(g, bn, path, x);
            case BasicBlock block:
                return Block(g, block, path, x);
            case ReLU:
                return g.Node("Relu", [x], path);
            case Sigmoid:
                return g.Node("Sigmoid", [x], path);
            case Tanh:
                return g.Node("Tanh", [x], path);
            case MaxPool2d pool:
                return g.Node("MaxPool", [x], path,
                    OnnxAttr.Ints("kernel_shape", pool.KernelSize.H, pool.KernelSize.W),
                    OnnxAttr.Ints("strides", pool.Stride.H, pool.Stride.W),
                    OnnxAttr.Ints("pads", pool.Padding.H, pool.Padding.W, pool.Padding.H, pool.Padding.W));
            case AdaptiveAvgPool2d pool when pool.OutputSize == (1, 1):
                return g.Node("GlobalAveragePool", [x], path);
            case Flatten flatten when flatten.EndDim == -1:
                return g.Node("Flatten", [x], path, OnnxAttr.Int("axis", flatten.StartDim));
            case Dropout or Identity:
                // Eval mode: the identity.
                return x;
            default:
                throw new NotSupportedException($"ONNX export: layer '{path}' ({module.GetType().Name}) has no ONNX translation");
        }
    }

    internal static string BatchNorm(OnnxGraphBuilder g, BatchNorm2d bn, string path, string x)
    {
        if (!bn.TracksRunningStats)
            throw new NotSupportedException($"ONNX export: batch norm '{path}' keeps no running statistics, so eval mode normalises by the batch, which ONNX's inference BatchNormalization cannot express");
        int c = bn.NumFeatures;
        // Without affine parameters the scale is 1 and the shift 0 (ONNX requires both inputs).
        var scale = bn.Weight != null ? g.Weight($"{path}.weight", bn.Weight) : g.Floats($"{path}.weight", Enumerable.Repeat(1f, c).ToArray(), c);
        var shift = bn.Bias != null ? g.Weight($"{path}.bias", bn.Bias) : g.Floats($"{path}.bias", new float[c], c);
        var mean = g.Weight($"{path}.running_mean", bn.RunningMean);
        var variance = g.Weight($"{path}.running_var", bn.RunningVar);
        return g.Node("BatchNormalization", [x, scale, shift, mean, variance], path, OnnxAttr.Float("epsilon", bn.Eps));
    }

    /// <summary>ResNet's basic block, as its Forward: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).</summary>
    private static string Block(OnnxGraphBuilder g, BasicBlock block, string path, string x)
    {
        var y = Emit(g, block.Conv1, $"{path}.conv1", x);
        y = g.Node("Relu", [Emit(g, block.Bn1, $"{path}.bn1", y)], $"{path}.relu1");
        y = Emit(g, block.Bn2, $"{path}.bn2", Emit(g, block.Conv2, $"{path}.conv2", y));
        var skip = block.Shortcut != null ? Emit(g, block.Shortcut, $"{path}.shortcut", x) : x;
        return g.Node("Relu", [g.Node("Add", [y, skip], $"{path}.add")], $"{path}.relu2");
    }

    /// <summary>Refuses a model any of whose linear layers carries an unmerged LoRA adapter.</summary>
    internal static void RequireNoAdapters(Module model)
    {
        foreach (var (name, m) in model.NamedModules())
            if (m is LinearLayer layer) RequireNoAdapter(layer, name);
    }

    internal static void RequireNoAdapter(LinearLayer layer, string path)
    {
        if (layer.Lora is { Merged: false })
            throw new NotSupportedException($"ONNX export: layer '{path}' carries an unmerged LoRA adapter; merge it into the weights first");
    }
}
