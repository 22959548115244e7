using Sapling.Testing;
using Xunit.Abstractions;

namespace Sapling.IO.Tests;

/// <summary>Mutated safetensors files: every one loads or is refused with a <see cref="SafeTensorsFormatException"/> naming the file.</summary>
public sealed class SafeTensorsFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void MutatedFilesLoadOrGetANamedError()
    {
        var dir = Directory.CreateTempSubdirectory("sapling-fuzz-st-").FullName;
        try
        {
            var seeds = new List<byte[]>();
            var g = new Generator(3);
            var sets = new[]
            {
                new Dictionary<string, Tensor> { ["w"] = Tensor.Randn([3, 4], g), ["b"] = Tensor.Randn([4], g) },
                new Dictionary<string, Tensor> { ["emb"] = Tensor.Randn([5, 2], g).To(DType.BFloat16), ["ids"] = Tensor.FromArray(new long[] { 1, 2, 3 }) },
                new Dictionary<string, Tensor> { ["scalar"] = Tensor.Scalar(2.5), ["q"] = Tensor.FromArray(new float[] { 1, -1 }).To(DType.Int8) },
            };
            for (int i = 0; i < sets.Length; i++)
            {
                var path = Path.Combine(dir, $"seed{i}.safetensors");
                SafeTensors.Save(path, sets[i], new Dictionary<string, string> { ["format"] = "pt" });
                seeds.Add(File.ReadAllBytes(path));
            }
            var target = Path.Combine(dir, "model.safetensors");
            var report = new Fuzzer(1).Run("safetensors", seeds, bytes =>
            {
                File.WriteAllBytes(target, bytes);
                foreach (var (_, t) in SafeTensors.LoadAll(target)) t.Dispose();
            }, e => e is SafeTensorsFormatException && e.Message.Contains(target));
            output.WriteLine(report.ToString());
            Fuzzer.AssertClean(report);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
