using System.Text;
using System.Text.Json;
using Sapling.Export;
using Sapling.Models.Vision;

namespace Sapling.Cli.Tests;

/// <summary>
/// Transfer learning from a torchvision-layout ResNet folder (what `sapling import onnx` writes for an ImageNet ResNet):
/// a new head on an image folder, a frozen phase then the whole network, and the result through predict and export.
/// </summary>
[Collection("cli")]
public sealed class ImageNetTransferTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-imagenet-transfer-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    /// <summary>Three classes of 40 × 40 colour images (binary PPM): red, green and blue squares on noise.</summary>
    private string Images()
    {
        var folder = Path.Combine(root, "images");
        var random = new Random(1);
        string[] names = ["blue", "green", "red"];
        for (int c = 0; c < names.Length; c++)
        {
            Directory.CreateDirectory(Path.Combine(folder, names[c]));
            for (int i = 0; i < 8; i++)
            {
                var pixels = new byte[40 * 40 * 3];
                random.NextBytes(pixels);
                for (int y = 10; y < 30; y++)
                    for (int x = 10; x < 30; x++)
                        for (int ch = 0; ch < 3; ch++)
                            pixels[(y * 40 + x) * 3 + ch] = (byte)(ch == 2 - c ? 250 : 10);
                using var file = File.Create(Path.Combine(folder, names[c], $"{i}.ppm"));
                file.Write(Encoding.ASCII.GetBytes("P6\n40 40\n255\n"));
                file.Write(pixels);
            }
        }
        return folder;
    }

    [Fact]
    public void NewHeadOnAPretrainedResNetTrainsPredictsAndExports()
    {
        var backbone = Path.Combine(root, "backbone");
        var network = new TorchvisionResNet(new TorchvisionResNetConfig { Layers = [1, 1, 1, 1], NumClasses = 0, ImageSize = [40, 40], Normalization = new([0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]) }, new Generator(3));
        TorchvisionResNetFolder.Save(backbone, network);
        var images = Images();
        var config = Path.Combine(root, "transfer.yaml");
        File.WriteAllText(config, $"""
            task: classification
            data:
              format: image_folder
              path: {images}
              image_height: 40
              image_width: 40
              image_channels: 3
              train_per_class: 5
              test_fraction: 0.25
              validation_fraction: 0.2
            model:
              type: torchvision_resnet
            train:
              init_from: {backbone}
              freeze_backbone_epochs: 1
              backbone_lr_scale: 0.1
              epochs: 2
              batch_size: 4
              lr: 0.001
            """);
        var run = Path.Combine(root, "run");
        var (code, stdout, stderr) = CliRunner.Run("train", config, "--out", run, "--plain");
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("epoch 2: the backbone joins training", stdout);
        Assert.Contains("at most 5 of each class", stdout);

        var model = Path.Combine(run, "model");
        var saved = TorchvisionResNetFolder.ReadConfig(model);
        Assert.Equal(3, saved.NumClasses);
        Assert.Equal("red", saved.Id2Label["2"]);
        Assert.Equal([1, 1, 1, 1], saved.Layers);
        Assert.Equal(0.25f, saved.Normalization!.Std[0]);
        // The backbone's weights moved only in the second phase, at the lower rate; the head is new.
        var before = network.StateDict()["layer1.0.conv1.weight"].Contiguous().ToArray<float>();
        var after = TorchvisionResNetFolder.Load(model).StateDict()["layer1.0.conv1.weight"].Contiguous().ToArray<float>();
        Assert.NotEqual(before, after);

        (code, stdout, stderr) = CliRunner.Run("predict", "--model", model, Path.Combine(images, "red", "0.ppm"));
        Assert.True(code == 0, stderr);
        var onnx = Path.Combine(root, "transfer.onnx");
        (code, _, stderr) = CliRunner.Run("export", "--model", model, "--out", onnx);
        Assert.True(code == 0, stderr);
        Assert.Equal("pixel_values", OnnxModelFile.Load(onnx).Graph.Input[0].Name);
        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "results.json")));
        Assert.True(results.RootElement.GetProperty("test").GetProperty("accuracy").GetDouble() >= 0);
    }
}
