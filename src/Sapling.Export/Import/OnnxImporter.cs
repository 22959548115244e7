using Sapling.Autograd;
using Sapling.Models.Vision;

namespace Sapling.Export.Import;

/// <summary>
/// <c>sapling import onnx</c>: turns an ONNX file into a Sapling model folder. A graph whose architecture Sapling
/// knows is mapped onto Sapling's own model class under its canonical names (a ResNet becomes a torchvision-layout
/// <see cref="TorchvisionResNet"/>, a BERT encoder a Hugging Face-named <see cref="Models.Bert.BertModel"/>) and checked against the graph itself on a random input before it is written; any
/// other graph whose ops the interpreter runs becomes a generic <see cref="OnnxFolder"/>; the rest is refused naming
/// the first unsupported op and its node.
/// </summary>
public static class OnnxImporter
{
    /// <summary>How the mapped model may differ from the graph it came from: relative to the output's largest value.</summary>
    public const double Tolerance = 1e-4;

    /// <param name="Kind">"torchvision_resnet", "bert" or "onnx".</param>
    /// <param name="Description">One line for the user: what the graph was recognised as, or why it was not.</param>
    /// <param name="MaxDifference">The mapped model's largest difference from the graph on the check input (null for a generic import).</param>
    public sealed record Result(string Kind, string Description, double? MaxDifference);

    /// <summary>
    /// How an image model's input is prepared, when the file does not say: pixels in [0, 1] are normalised by
    /// <paramref name="Mean"/> and <paramref name="Std"/> per RGB channel, at <paramref name="Size"/> (height, width).
    /// <paramref name="Bgr"/>: the network was trained on BGR images (Caffe, CNTK); its first convolution's input channels
    /// are reordered so the folder takes RGB like every other image model.
    /// </summary>
    public sealed record ImageInput(bool Bgr = false, float[]? Mean = null, float[]? Std = null, int[]? Size = null, int? ResizeShorterSide = null);

    /// <summary>
    /// Reads <paramref name="onnxPath"/> and writes the model folder to <paramref name="outputDirectory"/>: as a mapped
    /// ResNet or BERT when recognised and matching within <see cref="Tolerance"/>, else as a generic imported graph.
    /// <paramref name="generic"/> skips the mapping; <paramref name="image"/> applies to a mapped ResNet only. Refuses
    /// invalid image settings, image settings with <paramref name="generic"/> or for a graph that is not a ResNet, and
    /// graphs with ops the interpreter does not run.
    /// </summary>
    public static Result Import(string onnxPath, string outputDirectory, bool generic = false, ImageInput? image = null)
    {
        if (image != null && generic) throw new ArgumentException("image input settings (--bgr, --mean, --std, --image-size, --resize-shorter-side) describe a mapped ResNet; a --generic import keeps the graph's own input");
        if (image?.Mean is { Length: not 3 } || image?.Std is { Length: not 3 } || (image?.Mean == null) != (image?.Std == null))
            throw new ArgumentException("--mean and --std go together, three values each (R, G, B)");
        if (image?.Std?.Any(s => !(s > 0)) == true) throw new ArgumentException("--std values must be positive");
        if (image?.Size is { } size && (size.Length != 2 || size.Any(v => v is < 32 or > 4096))) throw new ArgumentException("--image-size must be HEIGHT,WIDTH, each 32 to 4096");
        var graph = OnnxGraph.Load(onnxPath);
        var module = new OnnxModule(graph);
        module.Eval();
        string why = "mapping was not asked for (--generic)";
        if (!generic)
        {
            var resnet = ResNetRecognizer.TryRecognize(graph, out var reason);
            if (resnet is var (config, state))
            {
                var model = new TorchvisionResNet(config);
                model.LoadStateDict(state);
                model.Eval();
                double difference = Compare(graph, module, model);
                if (difference <= Tolerance)
                {
                    TorchvisionResNetFolder.Save(outputDirectory, model, image != null ? WithImageInput(model, image) : model.Config);
                    var name = config.Architecture ?? $"ResNet ({config.Block} blocks {string.Join("-", config.Layers)})";
                    var head = config.NumClasses > 0 ? $"{config.NumClasses} classes" : $"{config.NumFeatures} pooled features, no classifier";
                    return new Result(TorchvisionResNetConfig.Type, $"recognised as torchvision {name}, {head}; matches the graph to {difference:G2} (relative)", difference);
                }
                why = $"it looks like a ResNet but the mapped model differs from the graph by {difference:G3} (relative)";
            }
            else
            {
                why = $"not a ResNet: {reason}";
                if (image != null) throw new NotSupportedException($"{onnxPath}: image input settings apply to a ResNet, and this graph is {why}");
                var bert = BertRecognizer.TryRecognize(graph, module, out var bertReason);
                if (bert is var (encoder, bertDifference))
                {
                    Models.Bert.BertFolder.Save(outputDirectory, encoder);
                    var c = encoder.Config;
                    return new Result(Models.Bert.BertConfig.Type, $"recognised as BERT ({c.NumHiddenLayers} layers, hidden {c.HiddenSize}, {c.NumAttentionHeads} heads, vocabulary {c.VocabSize}{(c.AddPoolingLayer ? ", pooler" : "")}); matches the graph to {bertDifference:G2} (relative)", bertDifference);
                }
                why += $"; not a BERT: {bertReason}";
            }
        }
        OnnxFolder.Save(outputDirectory, module);
        return new Result(OnnxFolder.ModelType, $"run by Sapling's ONNX interpreter ({graph.Nodes.Count} nodes, opset {graph.Opset}); {why}", null);
    }

    /// <summary>Applies the input settings after the check against the graph (which takes the graph's own channel order); returns the folder's config.</summary>
    private static TorchvisionResNetConfig WithImageInput(TorchvisionResNet model, ImageInput image)
    {
        if (image.Bgr)
        {
            if (model.Config.NumChannels != 3) throw new ArgumentException($"--bgr: the ResNet takes {model.Config.NumChannels} channels, not 3");
            using var _ = NoGrad.Enter();
            var rgb = model.Conv1.Weight.IndexSelect(1, Tensor.FromArray(new long[] { 2, 1, 0 }));
            model.Conv1.Weight.CopyFrom(rgb);
        }
        return model.Config with
        {
            Normalization = image.Mean != null ? new Models.Classifiers.NormalizationConfig(image.Mean, image.Std!) : model.Config.Normalization,
            ImageSize = image.Size ?? model.Config.ImageSize,
            ResizeShorterSide = image.ResizeShorterSide ?? model.Config.ResizeShorterSide,
        };
    }

    /// <summary>Runs both on one random input of the declared size (224 × 224 where the file leaves it open); the largest difference relative to the largest output.</summary>
    private static double Compare(OnnxGraph graph, OnnxModule module, TorchvisionResNet model)
    {
        var dims = graph.Inputs[0].Dims ?? [1, 3, 224, 224];
        int[] shape = [1, (int)(dims[1] > 0 ? dims[1] : 3), (int)(dims[2] > 0 ? dims[2] : 224), (int)(dims[3] > 0 ? dims[3] : 224)];
        using var _ = NoGrad.Enter();
        var x = Tensor.Randn(shape, generator: new Generator(20261206UL));
        var expected = module.Forward(x).Contiguous().ToArray<float>();
        var actual = model.Forward(x).Contiguous().ToArray<float>();
        if (expected.Length != actual.Length) return double.PositiveInfinity;
        double largest = 1e-12, difference = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            largest = Math.Max(largest, Math.Abs(expected[i]));
            difference = Math.Max(difference, Math.Abs(expected[i] - actual[i]));
        }
        return double.IsFinite(difference) ? difference / largest : double.PositiveInfinity;
    }
}
