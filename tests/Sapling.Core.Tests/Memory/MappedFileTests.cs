using Sapling.Memory;

namespace Sapling.Core.Tests.Memory;

/// <summary>A file mapped in place or read whole into private memory: the same bytes, and only the copy rearranges.</summary>
public sealed class MappedFileTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sapling-mapped-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void AFileReadIntoMemoryHoldsTheMappedBytesAndOutlivesItsOpener()
    {
        // Larger than one 32 MB read piece and not a multiple of it, so the pieces' ends are exercised.
        var bytes = new byte[(33 << 20) + 12345];
        new Random(7).NextBytes(bytes);
        string path = Write("w.bin", bytes);
        using var mapped = MappedFile.Open(path);
        var read = MappedFile.Read(path);
        Assert.False(mapped.IsPrivateCopy);
        Assert.True(read.IsPrivateCopy);
        Assert.Equal(bytes.Length, read.Length);
        Assert.True(mapped.Bytes(0, bytes.Length).SequenceEqual(read.Bytes(0, bytes.Length)));

        var storage = read.Storage(bytes.Length - 64, DType.Float32, 16);
        read.Dispose();
        var tail = Tensor.FromStorage(storage, [16]).ToArray();
        Assert.Equal(BitConverter.ToSingle(bytes, bytes.Length - 4), tail[15]);
    }

    [Fact]
    public void OnlyACopyInMemoryCanBeRearranged()
    {
        string path = Write("r.bin", [1, 2, 3, 4]);
        using (var read = MappedFile.Read(path))
        {
            read.WritableBytes(1, 2).Reverse();
            Assert.Equal(new byte[] { 1, 3, 2, 4 }, read.Bytes(0, 4).ToArray());
            Assert.Throws<ArgumentOutOfRangeException>(() => read.WritableBytes(3, 2));
        }
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, File.ReadAllBytes(path));
        using var mapped = MappedFile.Open(path);
        var e = Assert.Throws<InvalidOperationException>(() => mapped.WritableBytes(0, 1));
        Assert.Contains("r.bin", e.Message);
    }

    [Fact]
    public void AnEmptyFileIsRefusedByName()
    {
        string path = Write("empty.bin", []);
        Assert.Contains("empty.bin", Assert.Throws<InvalidDataException>(() => MappedFile.Read(path)).Message);
        Assert.Contains("empty.bin", Assert.Throws<InvalidDataException>(() => MappedFile.Open(path)).Message);
    }
}
