using System.Text.Json;
using Sapling.IO;
using Sapling.NN;
using Sapling.Optim;

namespace Sapling.Training;

/// <summary>
/// Checkpoints as folders <c>checkpoints/epoch-NNNN/</c> holding model.safetensors, optimizer.safetensors and
/// state.json. A checkpoint is written into a temporary folder and renamed into place, and <c>latest.json</c> is
/// replaced atomically after it, so an interruption at any moment leaves the previous checkpoint usable.
/// </summary>
public static class Checkpoint
{
    /// <summary>Saves after <c>state.CompletedEpochs</c> epochs, or after <c>state.GlobalStep</c> steps when <paramref name="unit"/> is "step".</summary>
    public static string Save(string checkpointsDirectory, Module model, Optimizer optimizer, LrScheduler? scheduler, TrainingState state, int keep = 2, string unit = "epoch")
    {
        string name = unit == "step" ? $"step-{state.GlobalStep:D7}" : $"epoch-{state.CompletedEpochs:D4}";
        string final = Path.Combine(checkpointsDirectory, name);
        string partial = final + ".partial";
        // Folders an interrupted save left behind: never a checkpoint, only disk space.
        if (Directory.Exists(checkpointsDirectory))
            foreach (var orphan in Directory.GetDirectories(checkpointsDirectory, "*.partial")) Directory.Delete(orphan, true);
        Directory.CreateDirectory(partial);
        SafeTensors.Save(Path.Combine(partial, "model.safetensors"), model.StateDict());
        var (optimizerTensors, optimizerJson) = optimizer.StateDict();
        SafeTensors.Save(Path.Combine(partial, "optimizer.safetensors"), optimizerTensors);
        var document = new Dictionary<string, object?>
        {
            ["state"] = state,
            ["optimizer"] = optimizerJson,
            ["scheduler"] = scheduler?.StateDict(),
        };
        AtomicFile.Write(Path.Combine(partial, "state.json"), s => JsonSerializer.Serialize(s, document, JsonNumbers.Indented));
        if (Directory.Exists(final)) Directory.Delete(final, true);
        Directory.Move(partial, final);
        AtomicFile.Write(Path.Combine(checkpointsDirectory, "latest.json"), s => JsonSerializer.Serialize(s, new { checkpoint = name }));
        foreach (var old in Directory.GetDirectories(checkpointsDirectory, unit + "-*").Where(d => !d.EndsWith(".partial")).OrderBy(d => d, StringComparer.Ordinal).SkipLast(keep))
            Directory.Delete(old, true);
        return final;
    }

    /// <summary>Resolves a run folder, its checkpoints folder or a checkpoint folder to the checkpoint to resume from.</summary>
    public static string Resolve(string path)
    {
        if (File.Exists(Path.Combine(path, "state.json"))) return path;
        foreach (var dir in new[] { Path.Combine(path, "checkpoints"), path })
        {
            var latest = Path.Combine(dir, "latest.json");
            if (File.Exists(latest))
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(latest));
                var candidate = Path.Combine(dir, doc.RootElement.GetProperty("checkpoint").GetString()!);
                if (IsComplete(candidate)) return candidate;
                throw new InvalidDataException($"{latest} points to '{candidate}', which has no state.json");
            }
            // A save renames its folder into place before it writes latest.json: an interruption between the two
            // (the very first save of a run, say) leaves a complete checkpoint that latest.json does not name yet.
            if (Directory.Exists(dir) && Newest(dir) is { } newest) return newest;
        }
        throw new DirectoryNotFoundException($"no checkpoint found at '{path}' (expected a run folder, its checkpoints/ folder, or a checkpoints/epoch-NNNN folder)");
    }

    /// <summary>A checkpoint folder whose three files are all there (a .partial folder never counts).</summary>
    private static bool IsComplete(string folder) => !folder.EndsWith(".partial", StringComparison.Ordinal)
        && File.Exists(Path.Combine(folder, "state.json")) && File.Exists(Path.Combine(folder, "model.safetensors")) && File.Exists(Path.Combine(folder, "optimizer.safetensors"));

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

    public static TrainingState Load(string checkpoint, Module model, Optimizer optimizer, LrScheduler? scheduler)
    {
        var statePath = Path.Combine(checkpoint, "state.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(statePath));
        var root = doc.RootElement;
        var weights = SafeTensors.LoadAll(Path.Combine(checkpoint, "model.safetensors"));
        model.LoadStateDict(weights);
        optimizer.LoadStateDict(SafeTensors.LoadAll(Path.Combine(checkpoint, "optimizer.safetensors")), root.GetProperty("optimizer").GetString()!);
        if (scheduler != null && root.GetProperty("scheduler").ValueKind == JsonValueKind.String)
            scheduler.LoadStateDict(root.GetProperty("scheduler").GetString()!);
        return root.GetProperty("state").Deserialize<TrainingState>(JsonNumbers.Options)
            ?? throw new InvalidDataException($"{statePath}: no training state");
    }
}
