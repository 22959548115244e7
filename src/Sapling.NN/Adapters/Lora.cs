namespace Sapling.NN.Adapters;

/// <summary>
/// Puts LoRA adapters on a model: every <see cref="LinearLayer"/> whose path matches the config gets a
/// <see cref="LoraBranch"/>, and everything else is frozen, so only the adapters train.
/// </summary>
public static class Lora
{
    /// <summary>Attaches adapters, freezes the rest and returns the adapted layer paths.</summary>
    public static IReadOnlyList<string> Apply(Module model, LoraConfig config, Generator? generator = null)
    {
        config.Validate();
        var targets = Targets(model).Where(t => config.Matches(t.Path)).ToList();
        if (targets.Count == 0)
        {
            var layers = Targets(model).Select(t => t.Path).Take(8);
            throw new ArgumentException($"LoRA target modules [{Describe(config)}] match no linear layer; the layers are named like: {string.Join(", ", layers)}");
        }
        foreach (var p in model.Parameters()) p.RequiresGrad = false;
        foreach (var (_, layer) in targets)
            layer.AttachLora(new LoraBranch(layer.InFeatures, layer.OutFeatures, config.Rank, config.Alpha, config.Dropout, generator));
        return targets.Select(t => t.Path).ToList();
    }

    /// <summary>Folds every adapter into its base weight (inference then costs what the base model costs).</summary>
    public static void Merge(Module model)
    {
        foreach (var (_, layer) in Adapted(model)) layer.MergeLora();
    }

    /// <summary>Takes every merged adapter back out of its base weight, so the branches run separately again.</summary>
    public static void Unmerge(Module model)
    {
        foreach (var (_, layer) in Adapted(model)) layer.UnmergeLora();
    }

    /// <summary>Merges and removes the adapters, leaving a plain model with the same outputs (PEFT's merge_and_unload).</summary>
    public static void MergeAndUnload(Module model)
    {
        foreach (var (_, layer) in Adapted(model).ToList())
        {
            layer.MergeLora();
            layer.DetachLora(keepMerged: true);
        }
    }

    /// <summary>The adapter tensors by their state-dict names (those ending in lora_A.weight or lora_B.weight).</summary>
    public static Dictionary<string, Tensor> AdapterState(Module model) =>
        model.NamedParameters().Where(p => IsAdapterKey(p.Name)).ToDictionary(p => p.Name, p => p.Parameter);

    /// <summary>Whether a state-dict key belongs to an adapter (contains ".lora_A." or ".lora_B.").</summary>
    public static bool IsAdapterKey(string name) => name.Contains(".lora_A.", StringComparison.Ordinal) || name.Contains(".lora_B.", StringComparison.Ordinal);

    /// <summary>Layers carrying an adapter, with their paths.</summary>
    public static IEnumerable<(string Path, LinearLayer Layer)> Adapted(Module model) => Targets(model).Where(t => t.Layer.Lora != null);

    /// <summary>PyTorch/PEFT's summary line: trainable params, all params and the trainable share.</summary>
    public static string TrainableSummary(Module model)
    {
        long all = model.ParameterCount(), trainable = model.ParameterCount(trainableOnly: true);
        return $"trainable params: {trainable:N0} || all params: {all:N0} || trainable%: {100.0 * trainable / Math.Max(all, 1):F4}";
    }

    private static IEnumerable<(string Path, LinearLayer Layer)> Targets(Module model)
    {
        foreach (var (path, module) in model.NamedModules())
            // The branch's own A and B are Linear layers too; they are never targets.
            if (module is LinearLayer layer && !path.EndsWith(".lora_A", StringComparison.Ordinal) && !path.EndsWith(".lora_B", StringComparison.Ordinal))
                yield return (path, layer);
    }

    private static string Describe(LoraConfig config) => config.TargetRegex ?? string.Join(", ", config.TargetModules);
}
