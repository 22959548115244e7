namespace Sapling.Export.Import;

internal static partial class OnnxOps
{
    private static Tensor Gemm(OnnxOpContext c)
    {
        var a = Float(c, 0);
        var b = Float(c, 1);
        var bias = c.Optional(2);
        if (a.Rank != 2 || b.Rank != 2) throw c.Error($"A and B must be matrices, got shapes {ShapeUtil.Format(a.Shape.ToArray())} and {ShapeUtil.Format(b.Shape.ToArray())}");
        float alpha = c.Node.Float("alpha", 1f), beta = c.Node.Float("beta", 1f);
        bool transA = c.Node.Int("transA", 0) != 0, transB = c.Node.Int("transB", 0) != 0;
        // The common form (a linear layer with its weight stored [out, in]) is one fused product with its bias.
        if (!transA && transB && alpha == 1f && (bias == null || (beta == 1f && bias.Rank == 1 && bias.Shape[0] == b.Shape[0])))
            return Tensor.Linear(a, b, bias);
        var y = (transA ? a.Transpose(0, 1) : a).MatMul(transB ? b.Transpose(0, 1) : b);
        if (alpha != 1f) y = y.Mul(alpha);
        if (bias != null && beta != 0f) y = y.Add(beta == 1f ? bias : bias.Mul(beta));
        return y;
    }

    /// <summary>Begin and end padding per spatial dimension, from pads or auto_pad (SAME_UPPER/SAME_LOWER/VALID).</summary>
    private static (int[] Begin, int[] End) Padding(OnnxOpContext c, int[] input, int[] kernel, int[] stride, int[] dilation)
    {
        int k = kernel.Length;
        var begin = new int[k];
        var end = new int[k];
        var autoPad = c.Node.String("auto_pad") ?? "NOTSET";
        switch (autoPad)
        {
            case "NOTSET":
                var pads = c.Node.Ints("pads");
                if (pads == null) break;
                if (pads.Length != 2 * k) throw c.Error($"pads has {pads.Length} values; a {k}-D window needs {2 * k}");
                for (int i = 0; i < k; i++)
                {
                    if (pads[i] < 0 || pads[i + k] < 0 || pads[i] > 4096 || pads[i + k] > 4096) throw c.Error($"pads [{string.Join(", ", pads)}] must be between 0 and 4096");
                    (begin[i], end[i]) = ((int)pads[i], (int)pads[i + k]);
                }
                break;
            case "VALID":
                break;
            case "SAME_UPPER" or "SAME_LOWER":
                for (int i = 0; i < k; i++)
                {
                    int output = (input[i] + stride[i] - 1) / stride[i];
                    int total = Math.Max(0, (output - 1) * stride[i] + (kernel[i] - 1) * dilation[i] + 1 - input[i]);
                    begin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
                    end[i] = total - begin[i];
                }
                break;
            default:
                throw c.Error($"auto_pad is '{autoPad}'; ONNX defines NOTSET, SAME_UPPER, SAME_LOWER and VALID");
        }
        return (begin, end);
    }

    private static int[] Window(OnnxOpContext c, string name, int k, int fallback)
    {
        var v = c.Node.Ints(name);
        if (v == null) return Enumerable.Repeat(fallback, k).ToArray();
        if (v.Length != k) throw c.Error($"{name} has {v.Length} values; a {k}-D window needs {k}");
        var result = new int[k];
        for (int i = 0; i < k; i++)
            result[i] = v[i] is >= 1 and <= 65536 ? (int)v[i] : throw c.Error($"{name} [{string.Join(", ", v)}] must be between 1 and 65536");
        return result;
    }

    /// <summary>Pads dimensions 2.. of x by the given amounts at the begin and end with a constant (explicit padding for what the kernels do not pad themselves).</summary>
    private static Tensor PadSpatial(Tensor x, int[] begin, int[] end, double value)
    {
        for (int i = 0; i < begin.Length; i++)
        {
            int dim = 2 + i;
            if (begin[i] == 0 && end[i] == 0) continue;
            var parts = new List<Tensor>(3);
            if (begin[i] > 0) parts.Add(Filled(x, dim, begin[i], value));
            parts.Add(x);
            if (end[i] > 0) parts.Add(Filled(x, dim, end[i], value));
            x = Tensor.Cat(parts, dim);
        }
        return x;
    }

    private static Tensor Filled(Tensor like, int dim, int size, double value)
    {
        var shape = like.Shape.ToArray();
        shape[dim] = size;
        return Tensor.Full(shape, value, like.DType);
    }

    /// <summary>Conv over [N, C, L] or [N, C, H, W]: symmetric padding inside the kernel, the asymmetric remainder (CNTK's exports have it) explicitly.</summary>
    /// <summary>
    /// A Conv node and the Relu that is the only reader of its output, as one op: in inference one pass over the output
    /// (<see cref="Tensor.FusedConv2d"/>, the bias and the ReLU applied as each tile is written), otherwise the two ops.
    /// </summary>
    public static Tensor ConvRelu(OnnxOpContext c) => Conv(c, relu: true);

    /// <summary>
    /// A Conv, the BatchNormalization that alone reads it (statistics constant; <paramref name="norm"/>'s input 0 left
    /// empty) and optionally a Relu after it: in inference one pass, the normalisation a per-channel scale and shift of
    /// the convolution's output; with a graph to record or a batch norm in training mode, the ops in turn.
    /// </summary>
    public static Tensor ConvNorm(OnnxOpContext conv, OnnxOpContext norm, bool relu)
    {
        bool training = norm.Training || (norm.Opset >= 14 && norm.Node.Int("training_mode", 0) != 0);
        bool graph = Autograd.NoGrad.IsEnabled && (conv.Inputs.Any(t => t is { RequiresGrad: true }) || norm.Inputs.Any(t => t is { RequiresGrad: true }));
        if (training || graph)
        {
            var inputs = (Tensor?[])norm.Inputs.Clone();
            inputs[0] = Conv(conv);
            var y = BatchNormalization(new OnnxOpContext(norm.Node, inputs, norm.Opset, norm.Training))[0];
            return relu ? y.Relu() : y;
        }
        Tensor scale, shift;
        using (Autograd.NoGrad.Enter())
        {
            Tensor gamma = Float(norm, 1), beta = Float(norm, 2), mean = Float(norm, 3), variance = Float(norm, 4);
            int channels = Float(conv, 1).Shape[0];
            foreach (var (t, name) in new[] { (gamma, "scale"), (beta, "B"), (mean, "input_mean"), (variance, "input_var") })
                if (t.Rank != 1 || t.Shape[0] != channels) throw norm.Error($"{name} has shape {ShapeUtil.Format(t.Shape.ToArray())}; the convolution before it has {channels} output channels");
            (scale, shift) = Tensor.BatchNormAffine(mean, variance, gamma, beta, norm.Node.Float("epsilon", 1e-5f));
        }
        return Conv(conv, relu, scale, shift);
    }

    private static Tensor Conv(OnnxOpContext c, bool relu = false, Tensor? normScale = null, Tensor? normShift = null)
    {
        var x = Float(c, 0);
        var w = Float(c, 1);
        var bias = c.Optional(2);
        if (x.Rank is not (3 or 4)) throw c.Unsupported($"Conv on a rank-{x.Rank} input (1-D and 2-D convolutions are)");
        if (w.Rank != x.Rank) throw c.Error($"weight shape {ShapeUtil.Format(w.Shape.ToArray())} does not match input shape {ShapeUtil.Format(x.Shape.ToArray())}");
        int k = x.Rank - 2;
        var kernel = w.Shape.ToArray()[2..].ToArray();
        var declared = c.Node.Ints("kernel_shape");
        if (declared != null && !declared.SequenceEqual(kernel.Select(v => (long)v)))
            throw c.Error($"kernel_shape [{string.Join(", ", declared)}] differs from the weight's {ShapeUtil.Format(w.Shape.ToArray())}");
        var stride = Window(c, "strides", k, 1);
        var dilation = Window(c, "dilations", k, 1);
        var (begin, end) = Padding(c, x.Shape.ToArray()[2..].ToArray(), kernel, stride, dilation);
        if (k == 1)
        {
            // A 1-D convolution is the 2-D one over a height of 1.
            (x, w) = (x.Unsqueeze(2), w.Unsqueeze(2));
            (kernel, stride, dilation, begin, end) = ([1, kernel[0]], [1, stride[0]], [1, dilation[0]], [0, begin[0]], [0, end[0]]);
        }
        int[] common = [Math.Min(begin[0], end[0]), Math.Min(begin[1], end[1])];
        x = PadSpatial(x, [begin[0] - common[0], begin[1] - common[1]], [end[0] - common[0], end[1] - common[1]], 0);
        long groups = c.Node.Int("group", 1);
        if (groups < 1 || groups > x.Shape[1]) throw c.Error($"group {groups} must be between 1 and the {x.Shape[1]} input channels");
        bool graph = Autograd.NoGrad.IsEnabled && (x.RequiresGrad || w.RequiresGrad || bias is { RequiresGrad: true });
        Tensor y;
        if ((relu || normScale != null) && !graph)
        {
            // The bias before a batch norm is scaled with the convolution's output: it joins the norm's shift.
            var shift = normScale == null ? bias : bias == null ? normShift : bias.Mul(normScale).Add(normShift!);
            y = Tensor.FusedConv2d(x, w, normScale, shift, relu: relu, stride: (stride[0], stride[1]), padding: (common[0], common[1]), dilation: (dilation[0], dilation[1]), groups: (int)groups);
        }
        else
        {
            y = Tensor.Conv2d(x, w, bias, (stride[0], stride[1]), (common[0], common[1]), (dilation[0], dilation[1]), (int)groups);
            if (relu) y = y.Relu();
        }
        return k == 1 ? y.Squeeze(2) : y;
    }

    private static Tensor Pool(OnnxOpContext c, bool max)
    {
        var x = Float(c, 0);
        if (c.Node.Outputs.Count > 1 && c.Node.Outputs[1].Length > 0) throw c.Unsupported("MaxPool's Indices output");
        if (x.Rank is not (3 or 4)) throw c.Unsupported($"{c.Node.OpType} on a rank-{x.Rank} input (1-D and 2-D pooling are)");
        if (!c.Node.Has("kernel_shape")) throw c.Error("kernel_shape is required");
        int k = x.Rank - 2;
        var kernel = Window(c, "kernel_shape", k, 1);
        var stride = Window(c, "strides", k, 1);
        var dilation = Window(c, "dilations", k, 1);
        if (!max && dilation.Any(d => d != 1)) throw c.Unsupported("AveragePool with dilations");
        var input = x.Shape.ToArray()[2..].ToArray();
        var (begin, end) = Padding(c, input, kernel, stride, dilation);
        if (k == 1)
        {
            x = x.Unsqueeze(2);
            (input, kernel, stride, dilation, begin, end) = ([1, input[0]], [1, kernel[0]], [1, stride[0]], [1, dilation[0]], [0, begin[0]], [0, end[0]]);
        }
        if (c.Node.Int("ceil_mode", 0) != 0)
        {
            // Ceil mode adds output positions whose window starts inside the input or its begin padding; extra end
            // padding that reaches them gives the same windows (for max pooling the padding is −∞).
            for (int i = 0; i < 2; i++)
            {
                int span = (kernel[i] - 1) * dilation[i] + 1;
                int padded = input[i] + begin[i] + end[i];
                int outFloor = (padded - span) / stride[i] + 1;
                int outCeil = (padded - span + stride[i] - 1) / stride[i] + 1;
                if ((outCeil - 1) * stride[i] >= input[i] + begin[i]) outCeil--;
                if (outCeil > outFloor)
                {
                    if (!max) throw c.Unsupported("AveragePool with ceil_mode=1 where it adds a window");
                    end[i] += (outCeil - 1) * stride[i] + span - padded;
                }
            }
        }
        bool includePad = c.Node.Int("count_include_pad", 0) != 0;
        bool native = begin[0] == end[0] && begin[1] == end[1] && begin[0] * 2 <= kernel[0] && begin[1] * 2 <= kernel[1];
        if (!native)
        {
            if (!max && !includePad && (begin.Any(p => p > 0) || end.Any(p => p > 0)))
                throw c.Unsupported("AveragePool with asymmetric or large padding and count_include_pad=0");
            x = PadSpatial(x, begin, end, max ? double.NegativeInfinity : 0);
            begin = [0, 0];
        }
        var y = max
            ? Tensor.MaxPool2d(x, (kernel[0], kernel[1]), (stride[0], stride[1]), (begin[0], begin[1]), (dilation[0], dilation[1]))
            : Tensor.AvgPool2d(x, (kernel[0], kernel[1]), (stride[0], stride[1]), (begin[0], begin[1]), includePad);
        return k == 1 ? y.Squeeze(2) : y;
    }

    private static Tensor GlobalPool(OnnxOpContext c, bool max)
    {
        var x = Float(c, 0);
        if (x.Rank < 3) throw c.Error($"input must be [N, C, spatial...], got shape {ShapeUtil.Format(x.Shape.ToArray())}");
        var dims = Enumerable.Range(2, x.Rank - 2).ToArray();
        return max ? x.Amax(dims, keepDim: true) : x.Mean(dims, keepDim: true);
    }

    private static Tensor[] BatchNormalization(OnnxOpContext c)
    {
        var x = Float(c, 0);
        Tensor scale = Float(c, 1), bias = Float(c, 2), mean = Float(c, 3), variance = Float(c, 4);
        if (c.Opset < 9 && c.Node.Int("spatial", 1) == 0) throw c.Unsupported("BatchNormalization with spatial=0");
        int channels = x.Rank >= 2 ? x.Shape[1] : throw c.Error($"input must be [N, C, ...], got shape {ShapeUtil.Format(x.Shape.ToArray())}");
        foreach (var (t, name) in new[] { (scale, "scale"), (bias, "B"), (mean, "input_mean"), (variance, "input_var") })
            if (t.Rank != 1 || t.Shape[0] != channels) throw c.Error($"{name} has shape {ShapeUtil.Format(t.Shape.ToArray())}; the input has {channels} channels");
        float eps = c.Node.Float("epsilon", 1e-5f);
        bool training = c.Training || (c.Opset >= 14 && c.Node.Int("training_mode", 0) != 0);
        if (!training && c.Node.Outputs.Count > 1 && c.Node.Outputs.Skip(1).Any(o => o.Length > 0)) throw c.Unsupported("BatchNormalization's training outputs in inference");
        if (training && (long)x.NumEl / channels <= 1) throw c.Error($"training needs more than one value per channel, got input shape {ShapeUtil.Format(x.Shape.ToArray())}");
        // ONNX's momentum weighs the old estimate (running · m + batch · (1 − m)); PyTorch's, which the op takes, the new one.
        return [Tensor.BatchNorm(x, mean, variance, scale, bias, training, 1.0 - c.Node.Float("momentum", 0.9f), eps)];
    }

    private static Tensor LayerNormalization(OnnxOpContext c)
    {
        var x = Float(c, 0);
        var scale = Float(c, 1);
        var bias = c.Optional(2);
        if (c.Node.Outputs.Count > 1 && c.Node.Outputs.Skip(1).Any(o => o.Length > 0)) throw c.Unsupported("LayerNormalization's Mean and InvStdDev outputs");
        int axis = c.Axis(c.Node.Int("axis", -1), x.Rank);
        var normalized = x.Shape.ToArray()[axis..].ToArray();
        if (!scale.Shape.SequenceEqual(normalized)) scale = scale.Expand(normalized).Contiguous();
        if (bias != null && !bias.Shape.SequenceEqual(normalized)) bias = bias.Expand(normalized).Contiguous();
        return Tensor.LayerNorm(x, normalized, scale, bias, c.Node.Float("epsilon", 1e-5f));
    }

    private static Tensor Softmax(OnnxOpContext c, bool log)
    {
        var x = Float(c, 0);
        if (c.Opset >= 13)
        {
            int axis = c.Axis(c.Node.Int("axis", -1), x.Rank);
            return log ? x.LogSoftmax(axis) : x.Softmax(axis);
        }
        // Before opset 13 the input is viewed as a matrix [prod(dims before axis), prod(dims from axis)].
        int a = c.Axis(c.Node.Int("axis", 1), x.Rank);
        var shape = x.Shape.ToArray();
        int rows = 1;
        for (int i = 0; i < a; i++) rows *= shape[i];
        var flat = x.Reshape(rows, -1);
        return (log ? flat.LogSoftmax(1) : flat.Softmax(1)).Reshape(shape);
    }
}
