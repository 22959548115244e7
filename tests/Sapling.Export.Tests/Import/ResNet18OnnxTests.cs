using Sapling.Autograd;
using Sapling.Export.Import;
using Sapling.Models.Vision;
using Sapling.Testing;
using Sapling.Data.Vision;
using Xunit.Abstractions;
using Sapling.Data.Vision.Codecs;

namespace Sapling.Export.Tests.Import;

/// <summary>
/// The ImageNet ResNet-18 that ML.NET ships as ONNX (NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0, a CNTK
/// export with opset 8 and asymmetric padding) imported both ways: mapped onto the torchvision-layout ResNet and run
/// by the generic interpreter. On 34 real photographs (through the package's own preprocessing graph) both give the
/// 512 features ONNX Runtime gives, within 1e-4.
/// </summary>
public sealed class ResNet18OnnxTests(ITestOutputHelper output) : IDisposable
{
    private const string Package = "Microsoft.ML.DnnImageFeaturizer.ResNet18";
    private const string Version = "0.24.0";
    private const float Tolerance = 1e-4f;
    private readonly string directory = Directory.CreateTempSubdirectory("sapling-onnx-import-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static string ModelFile(string name) => Path.Combine(NuGetPackageFactAttribute.PackagePath(Package, Version)!, "tools", "DnnImageModels", name);

    /// <summary>A photograph as the featurizer takes it: RGB, 224 × 224, values 0–255.</summary>
    private static Tensor Pixels(string path)
    {
        var image = ImageDecoder.Decode(path).Convert(ColorMode.Rgb);
        var chw = new float[3 * 224 * 224];
        Resize.BilinearChw(image, 224, 224, chw);
        return Tensor.FromArray(chw, 1, 3, 224, 224).Mul(255f);
    }

    [NuGetPackageFact(Package, Version)]
    public void ResNetIsRecognisedWithItsStagesAndNoClassifier()
    {
        var result = OnnxImporter.Import(ModelFile("ResNet18Onnx/ResNet18.onnx"), directory);
        output.WriteLine(result.Description);
        Assert.Equal(TorchvisionResNetConfig.Type, result.Kind);
        var config = TorchvisionResNetFolder.ReadConfig(directory);
        // CNTK's "ResNet-18" has three blocks in its last stage (22 convolutions); the import reports what the graph holds.
        Assert.Equal([2, 2, 2, 3], config.Layers);
        Assert.Equal("basic", config.Block);
        Assert.Equal(0, config.NumClasses);
        Assert.True(result.MaxDifference <= OnnxImporter.Tolerance);
        var model = TorchvisionResNetFolder.Load(directory);
        Assert.Contains("layer4.2.conv2.weight", model.StateDict().Keys);
        Assert.Contains("layer2.0.downsample.1.running_var", model.StateDict().Keys);
    }

    [RealPhotosFact(32)]
    public void BothImportsGiveOnnxRuntimesFeaturesOnRealPhotographs()
    {
        if (NuGetPackageFactAttribute.PackagePath(Package, Version) == null) throw new InvalidOperationException($"{Package} {Version} is not restored; `dotnet restore` brings it");
        string mapped = Path.Combine(directory, "mapped"), generic = Path.Combine(directory, "generic"), prep = Path.Combine(directory, "prep");
        OnnxImporter.Import(ModelFile("ResNet18Onnx/ResNet18.onnx"), mapped);
        OnnxImporter.Import(ModelFile("ResNet18Onnx/ResNet18.onnx"), generic, generic: true);
        OnnxImporter.Import(ModelFile("ResNetPrepOnnx/ResNetPreprocess.onnx"), prep);
        var photos = RealPhotos.Paths();
        using var ortPrep = InProcessOnnxRuntime.Open(File.ReadAllBytes(ModelFile("ResNetPrepOnnx/ResNetPreprocess.onnx")));
        using var ortNet = InProcessOnnxRuntime.Open(File.ReadAllBytes(ModelFile("ResNet18Onnx/ResNet18.onnx")));
        var preprocess = OnnxFolder.Load(prep);
        var expected = new List<float[]>();
        var batch = new List<Tensor>();
        using (NoGrad.Enter())
        {
            foreach (var photo in photos)
            {
                var pixels = Pixels(photo);
                var prepared = InProcessOnnxRuntime.Run(ortPrep, new Dictionary<string, Tensor> { ["OriginalInput"] = pixels })["PreprocessedInput"];
                expected.Add(InProcessOnnxRuntime.Run(ortNet, new Dictionary<string, Tensor> { ["Input247"] = prepared })["Pooling395_Output_0"].Contiguous().ToArray<float>());
                batch.Add(preprocess.Forward(pixels));
            }
            var x = Tensor.Cat(batch, 0);                                                   // [34, 3, 224, 224]
            var fromMapped = TorchvisionResNetFolder.Load(mapped).Forward(x);                // [34, 512]
            var fromGeneric = OnnxFolder.Load(generic).Forward(x).Reshape(photos.Count, 512); // [34, 512, 1, 1]
            foreach (var (name, actual) in new[] { ("mapped", fromMapped), ("generic", fromGeneric) })
            {
                var values = actual.Contiguous().ToArray<float>();
                double worst = 0;
                for (int p = 0; p < photos.Count; p++)
                    for (int j = 0; j < 512; j++)
                        worst = Math.Max(worst, Math.Abs(values[p * 512 + j] - expected[p][j]) / Math.Max(1f, Math.Abs(expected[p][j])));
                output.WriteLine($"{name}: {photos.Count} photographs, largest difference from ONNX Runtime {worst:E2}");
                Assert.True(worst <= Tolerance, $"{name} import differs from ONNX Runtime by {worst:E3}");
            }
        }
        // The features tell the photographs apart: no two are the same vector.
        for (int a = 0; a < expected.Count; a++)
            for (int b = a + 1; b < expected.Count; b++)
                Assert.False(expected[a].SequenceEqual(expected[b]));
    }
}
