using Sapling.Models.Vision;

namespace Sapling.Export.Import;

/// <summary>
/// Recognises a ResNet in an ONNX graph by following its data flow (stem, residual blocks, pooling, classifier) and
/// renames its weights to torchvision's state_dict names. Exports differ in form, and each form is read: batch norms
/// kept as nodes or folded into the convolutions' biases, the classifier as Gemm (either weight orientation) or
/// MatMul + Add, pooling as GlobalAveragePool, AveragePool or ReduceMean, Flatten or Reshape before the classifier,
/// and CNTK's asymmetric padding of strided convolutions ((p, p − 1), which equals torchvision's (p, p) whenever every
/// strided layer sees an even size, e.g. 224 × 224 inputs). A graph that is not a ResNet returns the first reason.
/// </summary>
internal sealed class ResNetRecognizer
{
    private readonly OnnxGraph graph;
    private readonly Dictionary<string, List<OnnxNode>> consumers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> state = new(StringComparer.Ordinal);

    private ResNetRecognizer(OnnxGraph graph)
    {
        this.graph = graph;
        foreach (var node in graph.Nodes)
            foreach (var input in node.Inputs)
                if (input.Length > 0)
                {
                    if (!consumers.TryGetValue(input, out var list)) consumers[input] = list = new List<OnnxNode>();
                    list.Add(node);
                }
    }

    /// <summary>The torchvision config and state dict, or null with <paramref name="reason"/> saying where the graph stops looking like a ResNet.</summary>
    public static (TorchvisionResNetConfig Config, Dictionary<string, Tensor> State)? TryRecognize(OnnxGraph graph, out string reason)
    {
        var recognizer = new ResNetRecognizer(graph);
        try
        {
            var config = recognizer.Walk();
            reason = "";
            return (config, recognizer.state);
        }
        catch (NotAResNet e)
        {
            reason = e.Message;
            return null;
        }
    }

    private sealed class NotAResNet(string message) : Exception(message);

    private static NotAResNet Fail(string message) => new(message);

    private TorchvisionResNetConfig Walk()
    {
        if (graph.Inputs.Count != 1 || graph.Outputs.Count != 1) throw Fail($"it has {graph.Inputs.Count} inputs and {graph.Outputs.Count} outputs, not one of each");
        var input = graph.Inputs[0];
        if (input.Dims is { Length: not 4 }) throw Fail($"its input is {input.FormatShape()}, not [N, C, H, W]");

        // Stem: conv 7×7 / 2 → BN → ReLU → max pool 3×3 / 2.
        var stemConv = Next(input.Name, "Conv", "the stem");
        var (x, channels) = ConvBn(stemConv, "conv1", "bn1", kernel: 7, stride: 2);
        if (channels != 64) throw Fail($"the stem convolution has {channels} output channels, not 64");
        int inputChannels = state["conv1.weight"].Shape[1];
        x = Next(x, "Relu", "the stem").Outputs[0];
        var pool = Next(x, "MaxPool", "the stem");
        if (!pool.Ints("kernel_shape")!.SequenceEqual([3L, 3L]) || !(pool.Ints("strides") ?? [1, 1]).SequenceEqual([2L, 2L]))
            throw Fail("the stem's max pool is not 3×3 with stride 2");
        CheckPads(pool, 1);
        x = pool.Outputs[0];

        // Residual blocks, grouped into stages where the resolution halves.
        var layers = new List<int>();
        string? block = null;
        int inChannels = 64;
        while (true)
        {
            var next = consumers.GetValueOrDefault(x) ?? [];
            if (!next.Any(n => n.OpType == "Conv")) break;
            var (output, kind, stride, width) = Block(x, layers, inChannels);
            if (block != null && kind != block) throw Fail("it mixes basic and bottleneck blocks");
            block = kind;
            int stage = layers.Count - 1;
            if (width != 64 << stage) throw Fail($"block {layers[^1] - 1} of stage {stage + 1} is {width} wide, not {64 << stage}");
            inChannels = width * (kind == "bottleneck" ? 4 : 1);
            x = output;
        }
        if (layers.Count != 4) throw Fail($"it has {layers.Count} stages of residual blocks, not 4");

        // Head: global average pooling, then a classifier or nothing (a feature extractor).
        x = GlobalPool(x);
        int numClasses = Classifier(x, inChannels);
        var config = new TorchvisionResNetConfig { Block = block!, Layers = layers.ToArray(), NumChannels = inputChannels, NumClasses = numClasses, Source = Path.GetFileName(graph.Source) };
        return config;
    }

    /// <summary>The one node of type <paramref name="op"/> that reads <paramref name="value"/>.</summary>
    private OnnxNode Next(string value, string op, string where)
    {
        var list = consumers.GetValueOrDefault(value);
        if (list is not { Count: 1 }) throw Fail($"in {where}, '{value}' is read by {list?.Count ?? 0} nodes where one {op} was expected");
        if (list[0].OpType != op) throw Fail($"in {where}, {list[0].Describe()} follows where a {op} was expected");
        return list[0];
    }

    /// <summary>A convolution and its batch norm (a node, or folded into the convolution's bias) stored under the given names; returns the output value and width.</summary>
    private (string Output, int Channels) ConvBn(OnnxNode conv, string convName, string bnName, int kernel, int stride)
    {
        var w = Constant(conv, 1, "weight");
        if (w.Rank != 4 || w.Shape[2] != kernel || w.Shape[3] != kernel) throw Fail($"{conv.Describe()} has weight {ShapeUtil.Format(w.Shape.ToArray())}, not a {kernel}×{kernel} kernel");
        if (conv.Int("group", 1) != 1 || (conv.Ints("dilations") ?? [1, 1]).Any(d => d != 1)) throw Fail($"{conv.Describe()} is grouped or dilated");
        if (!(conv.Ints("strides") ?? [1, 1]).SequenceEqual([(long)stride, stride])) throw Fail($"{conv.Describe()} has strides [{string.Join(", ", conv.Ints("strides") ?? [1, 1])}], not {stride}");
        CheckPads(conv, kernel / 2);
        int channels = w.Shape[0];
        state[$"{convName}.weight"] = w;
        Tensor? convBias = conv.Inputs.Count > 2 && conv.Inputs[2].Length > 0 ? Constant(conv, 2, "bias") : null;
        var after = consumers.GetValueOrDefault(conv.Outputs[0]);
        if (after is { Count: 1 } && after[0].OpType == "BatchNormalization")
        {
            var bn = after[0];
            float eps = bn.Float("epsilon", 1e-5f);
            if (MathF.Abs(eps - 1e-5f) > 1e-9f) throw Fail($"{bn.Describe()} has epsilon {eps}; torchvision's batch norms use 1e-5");
            var mean = Constant(bn, 3, "mean");
            state[$"{bnName}.weight"] = Constant(bn, 1, "scale");
            state[$"{bnName}.bias"] = Constant(bn, 2, "bias");
            // A convolution bias before the norm shifts the mean it subtracts.
            state[$"{bnName}.running_mean"] = convBias != null ? mean.Sub(convBias) : mean;
            state[$"{bnName}.running_var"] = Constant(bn, 4, "variance");
            state[$"{bnName}.num_batches_tracked"] = Tensor.Zeros([], DType.Int64);
            return (bn.Outputs[0], channels);
        }
        // Folded at export: the norm becomes the identity with the convolution's bias as its shift (var + ε = 1 exactly).
        state[$"{bnName}.weight"] = Tensor.Ones(channels);
        state[$"{bnName}.bias"] = convBias ?? Tensor.Zeros(channels);
        state[$"{bnName}.running_mean"] = Tensor.Zeros(channels);
        state[$"{bnName}.running_var"] = Tensor.Full([channels], 1f - 1e-5f);
        state[$"{bnName}.num_batches_tracked"] = Tensor.Zeros([], DType.Int64);
        return (conv.Outputs[0], channels);
    }

    /// <summary>Padding p on both sides, or CNTK's (p, p − 1) on a strided layer.</summary>
    private static void CheckPads(OnnxNode node, int p)
    {
        if ((node.String("auto_pad") ?? "NOTSET") != "NOTSET") throw Fail($"{node.Describe()} uses auto_pad");
        var pads = node.Ints("pads") ?? [0, 0, 0, 0];
        bool strided = (node.Ints("strides") ?? [1, 1]).Any(s => s > 1);
        bool symmetric = pads.SequenceEqual([(long)p, p, p, p]);
        bool cntk = strided && p > 0 && pads.SequenceEqual([(long)p, p, p - 1, p - 1]);
        if (!symmetric && !cntk) throw Fail($"{node.Describe()} has pads [{string.Join(", ", pads)}], not {p} on each side");
    }

    private Tensor Constant(OnnxNode node, int input, string what)
    {
        if (node.Inputs.Count <= input || !graph.Initializers.TryGetValue(node.Inputs[input], out var t))
            throw Fail($"{node.Describe()}'s {what} is computed in the graph, not a stored weight");
        return t;
    }

    /// <summary>One residual block read from its input value; the block is added to the current stage or starts the next.</summary>
    private (string Output, string Kind, int Stride, int Width) Block(string x, List<int> layers, int inChannels)
    {
        var readers = consumers[x];
        var convs = readers.Where(n => n.OpType == "Conv").ToList();
        if (convs.Count is < 1 or > 2) throw Fail($"'{x}' feeds {convs.Count} convolutions; a residual block has one or two");
        // The main branch continues with a ReLU after its first convolution; a downsample branch goes straight to the Add.
        OnnxNode? main = null, down = null;
        foreach (var conv in convs)
        {
            var after = consumers.GetValueOrDefault(conv.Outputs[0]) ?? [];
            var first = after.Count == 1 && after[0].OpType == "BatchNormalization" ? consumers.GetValueOrDefault(after[0].Outputs[0]) ?? [] : after;
            if (first.Count == 1 && first[0].OpType == "Relu") main = conv;
            else down = conv;
        }
        if (main == null) throw Fail($"no convolution reading '{x}' is followed by a ReLU");
        var mainWeight = Constant(main, 1, "weight");
        bool bottleneck = mainWeight.Shape[2] == 1;
        var convStride = main.Ints("strides") ?? [1, 1];
        int stride;
        if (bottleneck)
        {
            if (convStride.Any(s => s != 1)) throw Fail($"{main.Describe()}: the bottleneck strides its 1×1 convolution (ResNet v1); torchvision's v1.5 strides the 3×3");
            // The stride sits on the second convolution; peek at it to know whether a stage starts here.
            var second = Next(Next(ConvOutput(main), "Relu", "a bottleneck").Outputs[0], "Conv", "a bottleneck");
            stride = (int)(second.Ints("strides") ?? [1, 1])[0];
        }
        else
        {
            stride = (int)convStride[0];
        }
        if (stride is not (1 or 2)) throw Fail($"{main.Describe()} has stride {stride}");
        if (layers.Count == 0 && stride != 1) throw Fail("the first stage's first block is strided");
        // A stage starts with the first block and wherever the resolution halves.
        if (layers.Count == 0 || stride == 2) layers.Add(0);
        string prefix = $"layer{layers.Count}.{layers[^1]}";
        layers[^1]++;

        var (y, width) = ConvBn(main, $"{prefix}.conv1", $"{prefix}.bn1", bottleneck ? 1 : 3, bottleneck ? 1 : stride);
        y = Next(y, "Relu", prefix).Outputs[0];
        var (y2, width2) = ConvBn(Next(y, "Conv", prefix), $"{prefix}.conv2", $"{prefix}.bn2", 3, bottleneck ? stride : 1);
        y = y2;
        if (width2 != width) throw Fail($"{prefix}: its convolutions are {width} and {width2} wide");
        if (bottleneck)
        {
            y = Next(y, "Relu", prefix).Outputs[0];
            var (y3, width3) = ConvBn(Next(y, "Conv", prefix), $"{prefix}.conv3", $"{prefix}.bn3", 1, 1);
            if (width3 != width * 4) throw Fail($"{prefix}: the bottleneck expands {width} to {width3}, not {width * 4}");
            y = y3;
        }
        int outChannels = bottleneck ? width * 4 : width;
        string skip = x;
        if (down != null)
        {
            var (d, downWidth) = ConvBn(down, $"{prefix}.downsample.0", $"{prefix}.downsample.1", 1, stride);
            if (downWidth != outChannels) throw Fail($"{prefix}: the downsample branch is {downWidth} wide, not {outChannels}");
            skip = d;
        }
        else if (stride != 1 || inChannels != outChannels)
        {
            throw Fail($"{prefix} changes shape but has no downsample convolution");
        }
        var add = Next(y, "Add", prefix);
        if (!(add.Inputs.Contains(y) && add.Inputs.Contains(skip) && add.Inputs.Count == 2)) throw Fail($"{add.Describe()} does not add the block's branches");
        var output = Next(add.Outputs[0], "Relu", prefix).Outputs[0];
        return (output, bottleneck ? "bottleneck" : "basic", stride, width);
    }

    private string ConvOutput(OnnxNode conv)
    {
        var after = consumers.GetValueOrDefault(conv.Outputs[0]) ?? [];
        return after.Count == 1 && after[0].OpType == "BatchNormalization" ? after[0].Outputs[0] : conv.Outputs[0];
    }

    /// <summary>Global average pooling in any of its forms; returns the pooled value.</summary>
    private string GlobalPool(string x)
    {
        var list = consumers.GetValueOrDefault(x);
        if (list is not { Count: 1 }) throw Fail($"after the last block, '{x}' is read by {list?.Count ?? 0} nodes where one pooling was expected");
        var pool = list[0];
        switch (pool.OpType)
        {
            case "GlobalAveragePool":
                break;
            case "ReduceMean":
                var axes = pool.Ints("axes") ?? (pool.Inputs.Count > 1 && graph.Initializers.TryGetValue(pool.Inputs[1], out var a) ? a.Contiguous().ToArray<long>() : null);
                if (axes == null || !axes.Order().SequenceEqual([2L, 3L])) throw Fail($"{pool.Describe()} does not average over the spatial dimensions");
                break;
            case "AveragePool":
                // A fixed window over the whole last feature map (7×7 for 224×224 inputs) is global pooling at that size.
                var input = graph.Inputs[0];
                var kernel = pool.Ints("kernel_shape") ?? [];
                if (input.Dims == null || input.Dims[2] < 0 || input.Dims[3] < 0 || !kernel.SequenceEqual([input.Dims[2] / 32, input.Dims[3] / 32]))
                    throw Fail($"{pool.Describe()} pools a {string.Join("×", kernel)} window, which is not the whole feature map of the declared input {input.FormatShape()}");
                break;
            default:
                throw Fail($"{pool.Describe()} follows the last block where global average pooling was expected");
        }
        return pool.Outputs[0];
    }

    /// <summary>The classifier's result is the graph output, directly or through Identity nodes that rename it.</summary>
    private void EndsAtOutput(OnnxNode node)
    {
        var x = node.Outputs[0];
        while (x != graph.Outputs[0].Name)
        {
            var list = consumers.GetValueOrDefault(x);
            if (list is not [{ OpType: "Identity" } identity]) throw Fail($"{node.Describe()} is not the graph's last node");
            x = identity.Outputs[0];
        }
    }

    /// <summary>The classifier after pooling (Flatten/Reshape/Squeeze, then Gemm or MatMul + Add); 0 when the pooled features are the output.</summary>
    private int Classifier(string x, int features)
    {
        var output = graph.Outputs[0].Name;
        while (x != output)
        {
            var list = consumers.GetValueOrDefault(x);
            if (list is not { Count: 1 }) throw Fail($"after pooling, '{x}' is read by {list?.Count ?? 0} nodes");
            var node = list[0];
            switch (node.OpType)
            {
                case "Flatten" or "Reshape" or "Squeeze" or "Identity":
                    x = node.Outputs[0];
                    continue;
                case "Gemm":
                {
                    var w = Constant(node, 1, "weight");
                    bool transB = node.Int("transB", 0) != 0;
                    if (node.Int("transA", 0) != 0 || node.Float("alpha", 1f) != 1f || node.Float("beta", 1f) != 1f) throw Fail($"{node.Describe()} scales or transposes its input");
                    var weight = transB ? w : w.Transpose(0, 1).Contiguous();
                    if (weight.Rank != 2 || weight.Shape[1] != features) throw Fail($"{node.Describe()} has weight {ShapeUtil.Format(w.Shape.ToArray())} for {features} features");
                    state["fc.weight"] = weight;
                    state["fc.bias"] = node.Inputs.Count > 2 && node.Inputs[2].Length > 0 ? Constant(node, 2, "bias") : Tensor.Zeros(weight.Shape[0]);
                    EndsAtOutput(node);
                    return weight.Shape[0];
                }
                case "MatMul":
                {
                    var w = Constant(node, 1, "weight");
                    if (w.Rank != 2 || w.Shape[0] != features) throw Fail($"{node.Describe()} has weight {ShapeUtil.Format(w.Shape.ToArray())} for {features} features");
                    state["fc.weight"] = w.Transpose(0, 1).Contiguous();
                    var add = Next(node.Outputs[0], "Add", "the classifier");
                    var biasName = add.Inputs[0] == node.Outputs[0] ? add.Inputs[1] : add.Inputs[0];
                    if (!graph.Initializers.TryGetValue(biasName, out var bias)) throw Fail($"{add.Describe()} adds a computed value, not a bias");
                    state["fc.bias"] = bias.Reshape(-1);
                    EndsAtOutput(add);
                    return w.Shape[1];
                }
                default:
                    throw Fail($"{node.Describe()} follows the pooling where a classifier or the output was expected");
            }
        }
        return 0;
    }
}
