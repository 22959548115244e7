using Sapling.Memory;

namespace Sapling.IO.Tests;

/// <summary>Tensors used in place (Map), from the mapped file or from the file read into memory.</summary>
public class SafeTensorsMapTests
{
    private static Dictionary<string, Tensor> Weights() => new()
    {
        ["w.f32"] = Tensor.Randn([5, 9], new Generator(1)),
        ["w.bf16"] = Tensor.Randn([5, 9], new Generator(2)).To(DType.BFloat16),
        ["w.f16"] = Tensor.Randn([5, 9], new Generator(3)).To(DType.Float16),
        ["ids"] = Tensor.FromArray(new long[] { 1, 2, 3 }, 3),
        ["flags"] = Tensor.Zeros([2], DType.Bool),
    };

    [Fact]
    public void MappedTensorsHoldTheFilesElementsAndOutliveTheFileObject()
    {
        using var folder = new TestFolder();
        string path = folder.File("m.safetensors");
        var weights = Weights();
        SafeTensors.Save(path, weights);
        var mapped = new Dictionary<string, Tensor>();
        using (var file = SafeTensorsFile.Open(path))
            foreach (var name in new[] { "w.f32", "w.bf16", "w.f16", "ids" }) mapped[name] = file.Map(name);
        foreach (var (name, tensor) in mapped)
        {
            Assert.Equal(StorageKind.Mapped, tensor.StorageKind);
            Assert.Equal(weights[name].DType, tensor.DType);
            Assert.Equal(TensorFactory.Bits(weights[name]), TensorFactory.Bits(tensor));
        }
        var x = Tensor.Randn([2, 9], new Generator(4));
        var expected = Tensor.Linear(x, weights["w.bf16"].To(DType.Float32)).ToArray();
        var actual = Tensor.Linear(x, mapped["w.bf16"]).ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-5f);
        Assert.Contains("read-only", Assert.Throws<NotSupportedException>(() => mapped["w.f32"].CopyFrom(weights["w.f32"])).Message);
        foreach (var t in mapped.Values) t.Dispose();
    }

    [Fact]
    public void AFileReadIntoMemoryGivesTheStoredDtypeInPlace()
    {
        using var folder = new TestFolder();
        string path = folder.File("n.safetensors");
        var weights = Weights();
        SafeTensors.Save(path, weights);
        using var file = SafeTensorsFile.Open(path, inMemory: true);
        using var resident = file.Map("w.f16");
        Assert.Equal(DType.Float16, resident.DType);
        Assert.Equal(TensorFactory.Bits(weights["w.f16"]), TensorFactory.Bits(resident));
        // The tensor keeps the file's memory alive after the file is closed.
        file.Dispose();
        Assert.Equal(TensorFactory.Bits(weights["w.f16"]), TensorFactory.Bits(resident));
        using var reopened = SafeTensorsFile.Open(path, inMemory: true);
        var e = Assert.Throws<NotSupportedException>(() => reopened.Map("flags"));
        Assert.Contains("'flags'", e.Message);
        Assert.Contains("BOOL", e.Message);
    }
}
