
namespace Sapling.IO.Tests;

/// <summary>The checkpoint folder format: what a save leaves, which checkpoint a path resolves to, and what survives an interruption.</summary>
public class CheckpointFolderTests
{
    private static Dictionary<string, Tensor> Tensors(float value) => new() { ["w"] = Tensor.FromArray([value, value + 1], 2) };

    [Fact]
    public void SavesReadsRotatesAndResolves()
    {
        var root = Directory.CreateTempSubdirectory("sapling-checkpoints-").FullName;
        try
        {
            var dir = Path.Combine(root, "checkpoints");
            Directory.CreateDirectory(dir);
            foreach (int step in new[] { 10, 20, 30 })
                CheckpointFolder.Save(dir, $"step-{step:D7}", Tensors(step), Tensors(-step), $"{{\"step\": {step}}}", keep: 2);
            // Two of the kind are kept; latest.json names the newest, which a run folder, its checkpoints folder and
            // the checkpoint itself all resolve to.
            Assert.Equal(["step-0000020", "step-0000030"], Directory.GetDirectories(dir).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToArray());
            string newest = Path.Combine(dir, "step-0000030");
            Assert.Equal(newest, CheckpointFolder.Resolve(root));
            Assert.Equal(newest, CheckpointFolder.Resolve(dir));
            Assert.Equal(newest, CheckpointFolder.Resolve(newest));
            var (model, optimizer, state) = CheckpointFolder.Read(newest);
            Assert.Equal([30f, 31f], model["w"].ToArray<float>());
            Assert.Equal([-30f, -29f], optimizer["w"].ToArray<float>());
            Assert.Equal("{\"step\": 30}", state);

            // A save killed half-way leaves a .partial folder: never resolved to, removed by the next save.
            Directory.CreateDirectory(Path.Combine(dir, "step-0000040.partial"));
            Assert.Equal(newest, CheckpointFolder.Resolve(root));
            CheckpointFolder.Save(dir, "step-0000050", Tensors(50), Tensors(-50), "{}", keep: 2);
            Assert.False(Directory.Exists(Path.Combine(dir, "step-0000040.partial")));
            // latest.json gone (a kill between the rename and its replacement): the newest complete folder is used.
            File.Delete(Path.Combine(dir, "latest.json"));
            Assert.Equal(Path.Combine(dir, "step-0000050"), CheckpointFolder.Resolve(root));
            Assert.Throws<DirectoryNotFoundException>(() => CheckpointFolder.Resolve(Path.Combine(root, "nowhere")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
