using Sapling.Export.Onnx;
using Sapling.Models.Classifiers;

namespace Sapling.Export.Tests;

/// <summary>What the file promises, read back with the generated classes: opset, names, dynamic axes, weights, a well-formed graph.</summary>
public sealed class OnnxStructureTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("sapling-onnx-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private ModelProto RoundTrip(ModelProto model, string name)
    {
        var path = Path.Combine(directory, name + ".onnx");
        OnnxModelFile.Save(model, path);
        return OnnxModelFile.Load(path);
    }

    public static TheoryData<string> Classifiers => new() { "mlp", "cnn", "cnn_bn", "resnet" };

    private static IClassifier Classifier(string kind) => kind switch
    {
        "mlp" => TestModels.Mlp(),
        "cnn" => TestModels.Cnn(batchNorm: false),
        "cnn_bn" => TestModels.Cnn(batchNorm: true),
        _ => TestModels.ResNet(),
    };

    [Theory]
    [MemberData(nameof(Classifiers))]
    public void ClassifierFileDeclaresItsInterface(string kind)
    {
        var classifier = Classifier(kind);
        var model = RoundTrip(OnnxExporter.Export(classifier), kind);
        CheckHeader(model);
        var input = Assert.Single(model.Graph.Input);
        Assert.Equal("input", input.Name);
        Assert.Equal((int)TensorProto.Types.DataType.Float, input.Type.TensorType.ElemType);
        Assert.Equal(["batch", .. classifier.Config.InputShape.Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture))], Dims(input));
        var output = Assert.Single(model.Graph.Output);
        Assert.Equal("logits", output.Name);
        Assert.Equal(["batch", classifier.Config.NumClasses.ToString(System.Globalization.CultureInfo.InvariantCulture)], Dims(output));
        // Eval mode: no dropout in the graph, batch norm in inference form.
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "Dropout");
        CheckWellFormed(model.Graph);
        CheckWeights(model.Graph, classifier.Module.StateDict().Where(e => e.Value.DType == DType.Float32).ToDictionary());
    }

    [Fact]
    public void GptFileDeclaresItsInterface()
    {
        var gpt = TestModels.Gpt();
        var model = RoundTrip(OnnxExporter.Export(gpt), "gpt");
        CheckHeader(model);
        var input = Assert.Single(model.Graph.Input);
        Assert.Equal("input_ids", input.Name);
        Assert.Equal((int)TensorProto.Types.DataType.Int64, input.Type.TensorType.ElemType);
        Assert.Equal(["batch", "sequence"], Dims(input));
        var output = Assert.Single(model.Graph.Output);
        Assert.Equal("logits", output.Name);
        Assert.Equal(["batch", "sequence", gpt.Config.VocabSize.ToString(System.Globalization.CultureInfo.InvariantCulture)], Dims(output));
        var ops = model.Graph.Node.Select(n => n.OpType).ToHashSet();
        Assert.Contains("Trilu", ops);
        Assert.Contains("LayerNormalization", ops);
        Assert.Contains("Tanh", ops);
        Assert.DoesNotContain("Dropout", ops);
        // The tied head is the embedding transposed in the graph, not a second copy of it.
        Assert.DoesNotContain(model.Graph.Initializer, t => t.Name == "lm_head.weight");
        CheckWellFormed(model.Graph);
        CheckWeights(model.Graph, gpt.StateDict());
    }

    [Fact]
    public void ClassifierMetadataCarriesPreprocessing()
    {
        var classifier = ClassifierFolder.Create(new ClassifierConfig
        {
            ModelType = "mlp", InputShape = [4], NumClasses = 2, InputScale = 16f,
            Normalization = new NormalizationConfig([0.5f, 0.5f, 0.5f, 0.5f], [2f, 2f, 2f, 2f]),
            Id2Label = new() { ["0"] = "cat", ["1"] = "dog" },
        });
        var metadata = OnnxExporter.Export(classifier).MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("16", metadata["input_scale"]);
        Assert.Contains("\"dog\"", metadata["id2label"]);
        Assert.Contains("\"mean\"", metadata["normalization"]);
    }

    [Fact]
    public void UnmergedLoraIsRefused()
    {
        var gpt = TestModels.Gpt();
        NN.Adapters.Lora.Apply(gpt, new NN.Adapters.LoraConfig { Rank = 2, TargetModules = ["c_attn"] });
        var e = Assert.Throws<NotSupportedException>(() => OnnxExporter.Export(gpt));
        Assert.Contains("LoRA", e.Message);
    }

    [Fact]
    public void GptClassifierIsRefused()
    {
        var gpt = TestModels.Gpt();
        gpt.AddClassificationHead(["a", "b"], padTokenId: 0);
        Assert.Throws<NotSupportedException>(() => OnnxExporter.Export(gpt));
    }

    [Fact]
    public void GarbageIsNotAModel()
    {
        var path = Path.Combine(directory, "garbage.onnx");
        File.WriteAllBytes(path, [0xff, 0xff, 0xff, 0xff, 0x0f]);
        Assert.Throws<InvalidDataException>(() => OnnxModelFile.Load(path));
    }

    private static void CheckHeader(ModelProto model)
    {
        Assert.Equal(8, model.IrVersion);
        var opset = Assert.Single(model.OpsetImport);
        Assert.Equal("", opset.Domain);
        Assert.Equal(17, opset.Version);
        Assert.Equal("sapling", model.ProducerName);
    }

    private static string[] Dims(ValueInfoProto value) =>
        value.Type.TensorType.Shape.Dim.Select(d => d.HasDimParam ? d.DimParam : d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    /// <summary>Topological order: every node input is a graph input, an initializer or an earlier node's output; no name is produced twice.</summary>
    private static void CheckWellFormed(GraphProto graph)
    {
        var known = graph.Input.Select(i => i.Name).Concat(graph.Initializer.Select(t => t.Name)).ToHashSet();
        Assert.Equal(graph.Input.Count + graph.Initializer.Count, known.Count);
        foreach (var node in graph.Node)
        {
            foreach (var input in node.Input) Assert.True(known.Contains(input), $"node {node.Name} reads '{input}' before it is defined");
            foreach (var output in node.Output) Assert.True(known.Add(output), $"'{output}' is produced twice");
            foreach (var attribute in node.Attribute) Assert.NotEqual(AttributeProto.Types.AttributeType.Undefined, attribute.Type);
        }
        foreach (var output in graph.Output) Assert.Contains(output.Name, known);
    }

    /// <summary>Every float weight is stored under its state-dict name with its exact shape and values.</summary>
    private static void CheckWeights(GraphProto graph, Dictionary<string, Tensor> state)
    {
        var initializers = graph.Initializer.ToDictionary(t => t.Name);
        foreach (var (name, tensor) in state)
        {
            Assert.True(initializers.TryGetValue(name, out var stored), $"weight '{name}' is not in the file");
            Assert.Equal(tensor.Shape.ToArray().Select(d => (long)d), stored!.Dims);
            Assert.Equal(tensor.Contiguous().ToArray<float>(), OnnxTensors.ReadFloats(stored));
        }
    }
}
