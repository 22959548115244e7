using System.Text.Json;

namespace Sapling.IO;

/// <summary>
/// The checkpoint format: <c>checkpoints/NAME/</c> holding model.safetensors, optimizer.safetensors and state.json,
/// with <c>checkpoints/latest.json</c> naming the newest. A checkpoint is written into <c>NAME.partial</c> and renamed
/// into place, and latest.json is replaced atomically after it, so an interruption at any moment leaves the previous
/// checkpoint usable; the oldest of a kind beyond the number kept are removed afterwards.
/// </summary>
public static class CheckpointFolder
{
    /// <summary>The model weights' file name in a checkpoint folder.</summary>
    public const string ModelFile = "model.safetensors";
    /// <summary>The optimizer state's file name in a checkpoint folder.</summary>
    public const string OptimizerFile = "optimizer.safetensors";
    /// <summary>The training state's file name in a checkpoint folder (JSON).</summary>
    public const string StateFile = "state.json";

    /// <summary>
    /// Writes checkpoint <paramref name="name"/> (e.g. epoch-0003, step-0000100) and returns its folder. Checkpoints
    /// whose names start like this one's (up to its last '-') are the kind of which <paramref name="keep"/> are kept.
    /// </summary>
    public static string Save(string checkpointsDirectory, string name, IReadOnlyDictionary<string, Tensor> model,
        IReadOnlyDictionary<string, Tensor> optimizer, string stateJson, int keep = 2)
    {
        string final = Path.Combine(checkpointsDirectory, name);
        string partial = final + ".partial";
        // Folders an interrupted save left behind: never a checkpoint, only disk space.
        if (Directory.Exists(checkpointsDirectory))
            foreach (var orphan in Directory.GetDirectories(checkpointsDirectory, "*.partial")) Directory.Delete(orphan, true);
        Directory.CreateDirectory(partial);
        SafeTensors.Save(Path.Combine(partial, ModelFile), model);
        SafeTensors.Save(Path.Combine(partial, OptimizerFile), optimizer);
        AtomicFile.WriteAllText(Path.Combine(partial, StateFile), stateJson);
        if (Directory.Exists(final)) Directory.Delete(final, true);
        Directory.Move(partial, final);
        AtomicFile.Write(Path.Combine(checkpointsDirectory, "latest.json"), s => JsonSerializer.Serialize(s, new { checkpoint = name }));
        string kind = name[..(name.LastIndexOf('-') + 1)];
        foreach (var old in Directory.GetDirectories(checkpointsDirectory, kind + "*").Where(d => !d.EndsWith(".partial", StringComparison.Ordinal)).OrderBy(d => d, StringComparer.Ordinal).SkipLast(keep))
            Directory.Delete(old, true);
        return final;
    }

    /// <summary>Resolves a run folder, its checkpoints folder or a checkpoint folder to the checkpoint to resume from.</summary>
    public static string Resolve(string path)
    {
        if (File.Exists(Path.Combine(path, StateFile))) return path;
        foreach (var dir in new[] { Path.Combine(path, "checkpoints"), path })
        {
            var latest = Path.Combine(dir, "latest.json");
            if (File.Exists(latest))
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(latest));
                var candidate = Path.Combine(dir, doc.RootElement.GetProperty("checkpoint").GetString()!);
                if (IsComplete(candidate)) return candidate;
                throw new InvalidDataException($"{latest} points to '{candidate}', which has no {StateFile}");
            }
            // A save renames its folder into place before it writes latest.json: an interruption between the two
            // (the very first save of a run, say) leaves a complete checkpoint that latest.json does not name yet.
            if (Directory.Exists(dir) && Newest(dir) is { } newest) return newest;
        }
        throw new DirectoryNotFoundException($"no checkpoint found at '{path}' (expected a run folder, its checkpoints/ folder, or a checkpoints/epoch-NNNN folder)");
    }

    /// <summary>A checkpoint's model and optimiser tensors and the text of its state.json.</summary>
    public static (Dictionary<string, Tensor> Model, Dictionary<string, Tensor> Optimizer, string StateJson) Read(string checkpoint) =>
        (SafeTensors.LoadAll(Path.Combine(checkpoint, ModelFile)), SafeTensors.LoadAll(Path.Combine(checkpoint, OptimizerFile)), File.ReadAllText(Path.Combine(checkpoint, StateFile)));

    /// <summary>A checkpoint folder whose three files are all there (a .partial folder never counts).</summary>
    private static bool IsComplete(string folder) => !folder.EndsWith(".partial", StringComparison.Ordinal)
        && File.Exists(Path.Combine(folder, StateFile)) && File.Exists(Path.Combine(folder, ModelFile)) && File.Exists(Path.Combine(folder, OptimizerFile));

    /// <summary>The complete epoch-NNNN or step-NNNNNNN folder written last (their numbers are zero-padded, so names sort).</summary>
    private static string? Newest(string dir)
    {
        string? newest = null;
        foreach (var pattern in new[] { "epoch-*", "step-*" })
            foreach (var folder in Directory.GetDirectories(dir, pattern))
                if (IsComplete(folder) && (newest == null || string.CompareOrdinal(Path.GetFileName(folder), Path.GetFileName(newest)) > 0))
                    newest = folder;
        return newest;
    }
}
