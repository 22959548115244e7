using Sapling.Autograd;
using Sapling.Export;
using Sapling.IO;
using Sapling.Models.Vision;

namespace Sapling.Cli.Tests;

/// <summary>
/// <c>sapling import onnx</c> writes a model folder from an ONNX file (mapped onto the torchvision ResNet, or kept as a
/// generic graph), and <c>sapling run</c> runs any such folder on a safetensors file of inputs, writing the outputs by
/// name; both imports give the exported model's own outputs.
/// </summary>
[Collection("cli")]
public sealed class ImportRunCommandTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("sapling-import-cli-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void ImportsAnOnnxResNetBothWaysAndRunsIt()
    {
        var model = new TorchvisionResNet(TorchvisionResNetConfig.ForDepth(18, numClasses: 3), new Generator(4));
        model.Eval();
        var onnx = Path.Combine(directory, "resnet.onnx");
        OnnxModelFile.Save(OnnxExporter.Export(model), onnx);
        var x = Tensor.Randn([2, 3, 32, 32], generator: new Generator(5));
        Tensor expected;
        using (NoGrad.Enter()) expected = model.Forward(x);
        var inputs = Path.Combine(directory, "in.safetensors");
        SafeTensors.Save(inputs, new Dictionary<string, Tensor> { ["pixel_values"] = x });

        var (code, stdout, stderr) = CliRunner.Run("import", "onnx", onnx, "--out", Path.Combine(directory, "mapped"));
        Assert.True(code == 0, stderr);
        Assert.Contains("recognised as torchvision resnet18, 3 classes", stdout);
        (code, stdout, stderr) = CliRunner.Run("import", "onnx", onnx, "--out", Path.Combine(directory, "generic"), "--generic");
        Assert.True(code == 0, stderr);
        Assert.Contains("model_type onnx", stdout);

        foreach (var folder in new[] { "mapped", "generic" })
        {
            var outputs = Path.Combine(directory, $"{folder}.safetensors");
            (code, stdout, stderr) = CliRunner.Run("run", "--model", Path.Combine(directory, folder), "--input", inputs, "--out", outputs);
            Assert.True(code == 0, stderr);
            var logits = SafeTensors.LoadAll(outputs)["logits"];
            Assert.Equal([2, 3], logits.Shape.ToArray());
            var a = logits.Contiguous().ToArray<float>();
            var b = expected.Contiguous().ToArray<float>();
            for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 1e-4f * Math.Max(1f, Math.Abs(b[i])), $"{folder}: logit {i} is {a[i]}, expected {b[i]}");
        }
    }

    [Fact]
    public void EmbedWritesOneUnitVectorPerLineInOrder()
    {
        var folder = Path.Combine(directory, "bert");
        var config = new Models.Bert.BertConfig { VocabSize = 12, HiddenSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 32, MaxPositionEmbeddings = 16 };
        Models.Bert.BertFolder.Save(folder, new Models.Bert.BertModel(config, new Generator(2)));
        File.WriteAllLines(Path.Combine(folder, "vocab.txt"), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "on", "mat", "a", "dog"]);
        var input = Path.Combine(directory, "texts.txt");
        File.WriteAllLines(input, ["the cat sat on the mat", "a dog", "the cat sat on the mat", "a dog sat on a cat on a mat"]);
        var output = Path.Combine(directory, "embeddings.jsonl");
        var (code, _, stderr) = CliRunner.Run("embed", "--model", folder, "--input", input, "--out", output, "--batch-size", "2");
        Assert.True(code == 0, stderr);
        var vectors = File.ReadAllLines(output).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        Assert.Equal(4, vectors.Length);
        foreach (var v in vectors)
        {
            Assert.Equal(16, v.Length);
            Assert.Equal(1.0, Math.Sqrt(v.Sum(x => (double)x * x)), 4);
        }
        // The same text in a different batch (padded differently) gives the same vector.
        for (int j = 0; j < 16; j++) Assert.Equal(vectors[0][j], vectors[2][j], 4);
        Assert.NotEqual(vectors[0], vectors[1]);
    }

    /// <summary>sapling search: an index built from a file's lines finds a line itself first (cosine 1), and a query
    /// against an index whose encoder folder is gone is refused by name.</summary>
    [Fact]
    public void SearchFindsALineByItsOwnText()
    {
        var folder = Path.Combine(directory, "bert-search");
        var config = new Models.Bert.BertConfig { VocabSize = 12, HiddenSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 32, MaxPositionEmbeddings = 16 };
        Models.Bert.BertFolder.Save(folder, new Models.Bert.BertModel(config, new Generator(4)));
        File.WriteAllLines(Path.Combine(folder, "vocab.txt"), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "on", "mat", "a", "dog"]);
        var input = Path.Combine(directory, "corpus.txt");
        File.WriteAllLines(input, ["the cat sat on the mat", "", "a dog", "a dog sat on a cat on a mat", "the mat"]);
        var index = Path.Combine(directory, "corpus.index");
        var (code, _, stderr) = CliRunner.Run("search", "build", "--model", folder, "--input", input, "--out", index);
        Assert.True(code == 0, stderr);
        Assert.Contains("indexed 4 texts", stderr);
        (code, var stdout, stderr) = CliRunner.Run("search", "query", "--index", index, "a dog", "--top-k", "2", "--json");
        Assert.True(code == 0, stderr);
        var result = System.Text.Json.JsonDocument.Parse(stdout.Trim()).RootElement;
        var top = result.GetProperty("results")[0];
        Assert.Equal("a dog", top.GetProperty("text").GetString());
        Assert.Equal(1.0, top.GetProperty("score").GetDouble(), 4);
        Assert.Equal(2, result.GetProperty("results").GetArrayLength());

        Directory.Move(folder, folder + "-moved");
        (code, _, stderr) = CliRunner.Run("search", "query", "--index", index, "a dog");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("name the same encoder with --model", stderr);
    }

    [Fact]
    public void BadInputsAreRefusedByName()
    {
        var notOnnx = Path.Combine(directory, "bad.onnx");
        File.WriteAllBytes(notOnnx, [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        var (code, _, stderr) = CliRunner.Run("import", "onnx", notOnnx, "--out", Path.Combine(directory, "x"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("bad.onnx", stderr);

        var model = new TorchvisionResNet(TorchvisionResNetConfig.ForDepth(18, numClasses: 2), new Generator(1));
        TorchvisionResNetFolder.Save(Path.Combine(directory, "resnet"), model);
        var inputs = Path.Combine(directory, "wrong.safetensors");
        SafeTensors.Save(inputs, new Dictionary<string, Tensor> { ["a"] = Tensor.Zeros(1, 3, 8, 8), ["b"] = Tensor.Zeros(1) });
        (code, _, stderr) = CliRunner.Run("run", "--model", Path.Combine(directory, "resnet"), "--input", inputs, "--out", Path.Combine(directory, "o.safetensors"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("pixel_values", stderr);
    }
}
