using Sapling.Models.Gpt;
using Sapling.Models.Classifiers;
using Xunit.Abstractions;

namespace Sapling.Export.Tests;

/// <summary>
/// Exported files run in ONNX Runtime give Sapling's own logits within 1e-4, for each model kind, at two batch sizes
/// (and for GPT two lengths) from one file: the dynamic axes work, not just the shape the model was traced at.
/// </summary>
public sealed class OnnxRuntimeEqualityTests(ITestOutputHelper output) : IDisposable
{
    private const float Tolerance = 1e-4f;
    private readonly string directory = Directory.CreateTempSubdirectory("sapling-onnx-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [OnnxRuntimeFact]
    public void MlpMatches() => CheckClassifier(TestModels.Mlp(), "mlp");

    [OnnxRuntimeFact]
    public void CnnMatches() => CheckClassifier(TestModels.Cnn(batchNorm: false), "cnn");

    [OnnxRuntimeFact]
    public void CnnWithBatchNormMatches() => CheckClassifier(TestModels.Cnn(batchNorm: true), "cnn_bn");

    [OnnxRuntimeFact]
    public void ResNetMatches() => CheckClassifier(TestModels.ResNet(), "resnet");

    [OnnxRuntimeFact]
    public void GptWithPrunedHeadsMatches() => CheckGpt(TestModels.Gpt(prunedHeads: new() { ["0"] = [1], ["1"] = [0, 3] }), "pruned_heads");

    [OnnxRuntimeTheory]
    [InlineData("gelu_new")]
    [InlineData("gelu")]
    [InlineData("relu")]
    public void GptMatches(string activation) => CheckGpt(TestModels.Gpt(activation), activation);

    private void CheckGpt(GptModel model, string activation)
    {
        var path = Path.Combine(directory, $"gpt_{activation}.onnx");
        OnnxModelFile.Save(OnnxExporter.Export(model), path);
        // Lengths 5 and 16 (the full context), batches 2 and 1.
        var inputs = new[] { TestModels.TokenIds(2, 5, model.Config.VocabSize, 1), TestModels.TokenIds(1, model.Config.NPositions, model.Config.VocabSize, 2) };
        var results = OnnxRuntime.Run(path, inputs.Select(ids => new Dictionary<string, Tensor> { ["input_ids"] = ids }));
        for (int i = 0; i < inputs.Length; i++)
            Compare($"gpt {activation} {ShapeUtil.Format(inputs[i].Shape.ToArray())}", TestModels.Forward(model, inputs[i]), results[i]["logits"]);
    }

    private void CheckClassifier(IClassifier classifier, string name)
    {
        var path = Path.Combine(directory, name + ".onnx");
        OnnxModelFile.Save(OnnxExporter.Export(classifier), path);
        var inputs = new[] { TestModels.Images(3, classifier.Config.InputShape, 1), TestModels.Images(1, classifier.Config.InputShape, 2) };
        var results = OnnxRuntime.Run(path, inputs.Select(x => new Dictionary<string, Tensor> { ["input"] = x }));
        for (int i = 0; i < inputs.Length; i++)
            Compare($"{name} batch {inputs[i].Shape[0]}", TestModels.Forward(classifier.Module, inputs[i]), results[i]["logits"]);
    }

    private void Compare(string what, Tensor expected, (int[] Dims, float[] Data) actual)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Dims);
        var e = expected.Contiguous().ToArray<float>();
        float worst = 0;
        for (int i = 0; i < e.Length; i++) worst = Math.Max(worst, Math.Abs(e[i] - actual.Data[i]));
        float largest = e.Max(Math.Abs);
        output.WriteLine($"{what}: max |Sapling - ONNX Runtime| = {worst:E2} over {e.Length} logits (largest |logit| {largest:F3})");
        // Near-zero logits would make any exporter look right.
        Assert.True(largest > 0.05f, $"{what}: the test model's logits are all near zero ({largest:E2}); the comparison would prove nothing");
        Assert.True(worst <= Tolerance, $"{what}: logits differ by up to {worst:E2} (tolerance {Tolerance:E0})");
    }
}
