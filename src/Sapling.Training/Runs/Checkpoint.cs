using System.Text.Json;
using Sapling.IO;
using Sapling.NN;
using Sapling.Optim;

namespace Sapling.Training.Runs;

/// <summary>
/// A training run's checkpoint in the <see cref="CheckpointFolder"/> format: the model's and the optimiser's tensors,
/// and in state.json the <see cref="TrainingState"/>, the optimiser's settings and the schedule's position.
/// </summary>
public static class Checkpoint
{
    /// <summary>Saves after <c>state.CompletedEpochs</c> epochs (epoch-NNNN), or after <c>state.GlobalStep</c> steps (step-NNNNNNN).</summary>
    public static string Save(string checkpointsDirectory, Module model, Optimizer optimizer, LrScheduler? scheduler, TrainingState state, TrainingUnit unit, int keep = 2)
    {
        string name = unit == TrainingUnit.Step ? $"step-{state.GlobalStep:D7}" : $"epoch-{state.CompletedEpochs:D4}";
        var (optimizerTensors, optimizerJson) = optimizer.StateDict();
        var document = new Dictionary<string, object?>
        {
            ["state"] = state,
            ["optimizer"] = optimizerJson,
            ["scheduler"] = scheduler?.StateDict(),
        };
        return CheckpointFolder.Save(checkpointsDirectory, name, model.StateDict(), optimizerTensors, JsonSerializer.Serialize(document, JsonNumbers.Indented), keep);
    }

    /// <summary>Restores the model, optimiser and schedule of <paramref name="checkpoint"/>; returns its training state.</summary>
    public static TrainingState Load(string checkpoint, Module model, Optimizer optimizer, LrScheduler? scheduler)
    {
        var (weights, optimizerTensors, stateJson) = CheckpointFolder.Read(checkpoint);
        using var doc = JsonDocument.Parse(stateJson);
        var root = doc.RootElement;
        model.LoadStateDict(weights);
        optimizer.LoadStateDict(optimizerTensors, root.GetProperty("optimizer").GetString()!);
        if (scheduler != null && root.GetProperty("scheduler").ValueKind == JsonValueKind.String)
            scheduler.LoadStateDict(root.GetProperty("scheduler").GetString()!);
        return root.GetProperty("state").Deserialize<TrainingState>(JsonNumbers.Options)
            ?? throw new InvalidDataException($"{Path.Combine(checkpoint, CheckpointFolder.StateFile)}: no training state");
    }
}
