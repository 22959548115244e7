using System.Text.Json;
using Sapling.Autograd;
using Sapling.Models.Vision;
using Sapling.Testing;
using Xunit.Abstractions;

namespace Sapling.Models.Tests.Vision;

/// <summary>
/// Sapling's torchvision-layout ResNet-18, -34 and -50 have torchvision's state_dict keys and
/// give torchvision's logits within 1e-4 for the same weights (tests/fixtures/make_torchvision_resnet_fixtures.py:
/// weights from an integer hash both sides evaluate exactly, logits from torchvision 0.14).
/// </summary>
public sealed class TorchvisionResNetTests(ITestOutputHelper output)
{
    private static readonly Lazy<JsonDocument> Fixture = new(() => JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Directory, "torchvision_resnet.json"))));

    private static long NameOffset(string name)
    {
        long sum = 0;
        foreach (var c in name) sum += c;
        return sum * 7919 + name.Length;
    }

    /// <summary>The generator's uniform values of unit variance: SplitMix64's finaliser of offset·1000003 + k.</summary>
    private static double[] Uniform(long offset, int n)
    {
        var values = new double[n];
        ulong start = unchecked((ulong)offset * 1000003UL);
        for (int k = 0; k < n; k++)
        {
            ulong h = unchecked((start + (ulong)k) * 0x9E3779B97F4A7C15UL);
            h ^= h >> 30;
            h = unchecked(h * 0xBF58476D1CE4E5B9UL);
            h ^= h >> 27;
            h = unchecked(h * 0x94D049BB133111EBUL);
            h ^= h >> 31;
            double u = (h >> 11) / (double)(1UL << 53);
            values[k] = (u - 0.5) * 2.0 * Math.Sqrt(3.0);
        }
        return values;
    }

    private static Tensor Formula(string name, int[] shape)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        if (name.EndsWith(".num_batches_tracked", StringComparison.Ordinal)) return Tensor.Zeros(shape, DType.Int64);
        var s = Uniform(NameOffset(name), n);
        var leaf = name[(name.LastIndexOf('.') + 1)..];
        var v = new float[n];
        for (int i = 0; i < n; i++)
        {
            v[i] = (float)(leaf switch
            {
                "running_var" => 1.0 + 0.25 * (s[i] + 2.0),
                "running_mean" or "bias" => 0.1 * s[i],
                "weight" when shape.Length == 1 => 1.0 + 0.1 * s[i],
                "weight" when shape.Length == 4 => s[i] * Math.Sqrt(2.0 / (shape[1] * shape[2] * shape[3])),
                _ => 0.01 * s[i],
            });
        }
        return Tensor.FromArray(v, shape);
    }

    [Theory]
    [InlineData(18)]
    [InlineData(34)]
    [InlineData(50)]
    public void MatchesTorchvision(int depth)
    {
        var c = Fixture.Value.RootElement.GetProperty("cases").GetProperty($"resnet{depth}");
        var model = new TorchvisionResNet(TorchvisionResNetConfig.ForDepth(depth));
        var keys = c.GetProperty("keys").EnumerateArray().Select(k => k.GetString()!).ToArray();
        // The same keys (Sapling lists parameters before buffers; PyTorch interleaves them module by module).
        Assert.Equal(keys.Order(StringComparer.Ordinal), model.StateDict().Keys.Order(StringComparer.Ordinal));
        model.LoadStateDict(model.StateDict().ToDictionary(p => p.Key, p => Formula(p.Key, p.Value.Shape.ToArray())));
        model.Eval();
        var shape = Fixture.Value.RootElement.GetProperty("input_shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
        var pixels = Tensor.FromArray(Uniform(NameOffset("pixel_values"), shape.Aggregate(1, (a, b) => a * b)).Select(v => (float)v).ToArray(), shape);
        Tensor logits;
        using (NoGrad.Enter()) logits = model.Forward(pixels);
        var expected = c.GetProperty("logits").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var actual = logits.Contiguous().ToArray<float>();
        Assert.Equal(c.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray(), logits.Shape.ToArray());
        double worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]) / Math.Max(1f, Math.Abs(expected[i])));
        output.WriteLine($"resnet{depth}: largest difference from torchvision {worst:E2} over {expected.Length} logits");
        Assert.True(worst <= 1e-4, $"resnet{depth} differs from torchvision by {worst:E3}");
    }

    [Fact]
    public void FolderRoundTripKeepsWeightsAndConfig()
    {
        var dir = Directory.CreateTempSubdirectory("sapling-resnet-").FullName;
        try
        {
            var model = new TorchvisionResNet(TorchvisionResNetConfig.ForDepth(18, numClasses: 5) with { Id2Label = new() { ["0"] = "cat", ["4"] = "dog" } }, new Generator(3));
            TorchvisionResNetFolder.Save(dir, model);
            var loaded = TorchvisionResNetFolder.Load(dir);
            Assert.Equal("resnet18", loaded.Config.Architecture);
            Assert.Equal("dog", loaded.Config.Id2Label["4"]);
            foreach (var (name, value) in model.StateDict())
                Assert.Equal(value.Contiguous().To(DType.Float64).ToArray<double>(), loaded.StateDict()[name].Contiguous().To(DType.Float64).ToArray<double>());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void BadConfigIsRefusedByKey()
    {
        var e = Assert.Throws<InvalidDataException>(() => TorchvisionResNetConfig.FromJson("""{"model_type": "torchvision_resnet", "layers": [2, 2, 2]}""", "config.json"));
        Assert.Contains("layers", e.Message);
        e = Assert.Throws<InvalidDataException>(() => TorchvisionResNetConfig.FromJson("""{"model_type": "torchvision_resnet", "layers": [2, 2, 2, 2], "block": "wide"}""", "config.json"));
        Assert.Contains("block", e.Message);
    }
}
