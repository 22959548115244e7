using System.Collections;
using static Sapling.IO.Tests.TensorFactory;

namespace Sapling.IO.Tests;

/// <summary>A save that fails, at any point, must leave the earlier file as it was and no temporary file behind.</summary>
public class SafeTensorsSaveSafetyTests
{
    [Fact]
    public void SaveReplacesAnExistingFile()
    {
        using var folder = new TestFolder();
        string path = folder.File("model.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["old"] = Make(new[] { 1f }, 1) });
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["new"] = Make(new[] { 2f, 3f }, 2) });

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(["new"], file.Names);
        Assert.Equal(["model.safetensors"], folder.Entries());
    }

    [Fact]
    public void EnumerationFailingMidwayLeavesThePreviousFileIntact()
    {
        using var folder = new TestFolder();
        string path = folder.File("model.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Make(new[] { 1f, 2f }, 2) });
        byte[] before = File.ReadAllBytes(path);

        var broken = new ThrowingDictionary(failAfter: 2);
        Assert.Throws<InvalidOperationException>(() => SafeTensors.Save(path, broken));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["model.safetensors"], folder.Entries());
    }

    [Fact]
    public void DisposedTensorFailsTheSaveAndLeavesThePreviousFileIntact()
    {
        using var folder = new TestFolder();
        string path = folder.File("model.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Make(new[] { 1f, 2f }, 2) });
        byte[] before = File.ReadAllBytes(path);

        var gone = Make(new[] { 5f }, 1);
        gone.Dispose();
        var e = Assert.Throws<ObjectDisposedException>(() => SafeTensors.Save(path, new Dictionary<string, Tensor> { ["a"] = Make(new[] { 1f }, 1), ["b"] = gone }));
        Assert.Contains("'b'", e.Message);

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["model.safetensors"], folder.Entries());
    }

    [Fact]
    public void WriterFailingHalfwayLeavesThePreviousFileIntactAndNoTemporaryFile()
    {
        using var folder = new TestFolder();
        string path = folder.File("checkpoint.bin");
        File.WriteAllBytes(path, [1, 2, 3]);

        Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[4096]);
            stream.Flush();
            Assert.Equal(2, folder.Entries().Length); // the temporary file exists while writing...
            throw new IOException("disk full (simulated)");
        }));

        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal(["checkpoint.bin"], folder.Entries()); // ...and is gone afterwards
    }

    [Fact]
    public void FailedFirstSaveCreatesNothing()
    {
        using var folder = new TestFolder();
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(folder.File("new.bin"), _ => throw new InvalidOperationException("boom")));
        Assert.Empty(folder.Entries());
    }

    [Fact]
    public void TemporaryFileSitsBesideTheDestinationAndIsHidden()
    {
        using var folder = new TestFolder();
        string path = folder.File("a.bin");
        string? seen = null;
        AtomicFile.Write(path, stream =>
        {
            seen = folder.Entries().Single();
            stream.WriteByte(7);
        });
        Assert.StartsWith(".a.bin.", seen);
        Assert.EndsWith(".tmp", seen);
        Assert.Equal([7], File.ReadAllBytes(path));
    }

    [Fact]
    public void MissingFolderIsReportedByName()
    {
        using var folder = new TestFolder();
        string path = Path.Combine(folder.Root, "no-such-folder", "m.safetensors");
        var e = Assert.Throws<DirectoryNotFoundException>(() => SafeTensors.Save(path, new Dictionary<string, Tensor>()));
        Assert.Contains("no-such-folder", e.Message);
    }

    /// <summary>Yields a few tensors, then throws, as a lazily built state dict might.</summary>
    private sealed class ThrowingDictionary(int failAfter) : IReadOnlyDictionary<string, Tensor>
    {
        public int Count => failAfter + 1;

        public IEnumerable<string> Keys => this.Select(p => p.Key);

        public IEnumerable<Tensor> Values => this.Select(p => p.Value);

        public Tensor this[string key] => throw new KeyNotFoundException(key);

        public bool ContainsKey(string key) => false;

        public bool TryGetValue(string key, out Tensor value)
        {
            value = null!;
            return false;
        }

        public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator()
        {
            for (int i = 0; i < failAfter; i++) yield return new($"t{i}", Make(new[] { (float)i }, 1));
            throw new InvalidOperationException("state dict enumeration failed");
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
