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

    public static Result Import(string onnxPath, string outputDirectory, bool generic = false)
    {
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
                    TorchvisionResNetFolder.Save(outputDirectory, model);
                    var name = config.Architecture ?? $"ResNet ({config.Block} blocks {string.Join("-", config.Layers)})";
                    var head = config.NumClasses > 0 ? $"{config.NumClasses} classes" : $"{config.NumFeatures} pooled features, no classifier";
                    return new Result(TorchvisionResNetConfig.Type, $"recognised as torchvision {name}, {head}; matches the graph to {difference:G2} (relative)", difference);
                }
                why = $"it looks like a ResNet but the mapped model differs from the graph by {difference:G3} (relative)";
            }
            else
            {
                why = $"not a ResNet: {reason}";
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
