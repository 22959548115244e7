using Sapling.IO;
using Sapling.NN;

namespace Sapling.Models;

/// <summary>
/// Fills a model built inside <see cref="Tensor.Meta"/> (no memory yet) with a folder's weights, tensor by tensor:
/// weight matrices (rank 2, float32/bf16/f16) are used where the file has them or read into native memory, per
/// <see cref="WeightStorage"/>; vectors (norms, biases) and everything under <see cref="WeightStorage.Float32"/>
/// become float32 copies. Missing, unexpected and mis-shaped tensors are refused with the file and key named.
/// </summary>
public static class WeightLoader
{
    /// <param name="fileName">The file's name for a model key (a prefix such as "transformer." added, for instance).</param>
    /// <param name="ignored">File tensors that are not the model's and are skipped (a tied lm_head.weight).</param>
    public static void Assign(Module model, SafeTensorsFolder weights, WeightStorage storage, Func<string, string>? fileName = null, Func<string, bool>? ignored = null)
    {
        var own = model.StateDict();
        var used = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var (key, target) in own)
        {
            string name = fileName?.Invoke(key) ?? key;
            if (!weights.Contains(name))
            {
                missing.Add(name);
                continue;
            }
            var file = weights.FileOf(name);
            var info = file.Info(name);
            if (!info.Shape.SequenceEqual(target.Shape.Select(d => (long)d)))
                throw new InvalidDataException($"{file.Path}: tensor '{name}' has shape [{string.Join(", ", info.Shape)}], the model expects {ShapeUtil.Format(target.Shape.ToArray())} (does config.json belong to these weights?)");
            // Weight matrices only: a [1, n] row (BART's final_logits_bias) is added elementwise, like a bias vector.
            bool inPlace = storage != WeightStorage.Float32 && target.Rank == 2 && target.Shape[0] > 1 && info.DType is "F32" or "BF16" or "F16";
            using var loaded = inPlace ? file.Map(name) : file.Load(name, DType.Float32);
            // One pass over the values: a checkpoint holding NaN is named now, not discovered as nonsense text later.
            if (!loaded.AllFinite()) Warnings.Warn($"{file.Path}: tensor '{name}' holds NaN or infinite values; the model's outputs will not be usable");
            if (storage != WeightStorage.Float32) target.RequiresGrad = false;
            target.Set(loaded);
            used.Add(name);
        }
        var unexpected = weights.Names.Where(n => !used.Contains(n) && !(ignored?.Invoke(n) ?? false)).ToList();
        var result = new LoadStateResult(missing, unexpected);
        if (!result.IsExact) throw new InvalidDataException($"the weights in '{weights.Directory}' ({weights.Description}) do not match the model: {result.Describe()}");
    }

    /// <summary>
    /// Fills <paramref name="model"/> from an int8 folder Sapling wrote (one model.safetensors): the layers
    /// <paramref name="quantization"/> lists take their int8 weights and scales, every other tensor becomes the file's
    /// values in the model's dtype (float32; int64 for batch-norm counters). The model may be built with memory or inside <see cref="Tensor.Meta"/> (nothing is copied into
    /// it: each tensor takes the loaded one's storage). <paramref name="rename"/> maps a file name to the model's (null:
    /// not the model's, skipped).
    /// </summary>
    public static void AssignQuantized(Module model, string directory, Compression.QuantizationConfig quantization, Func<string, string?> rename)
    {
        var path = Path.Combine(directory, SafeTensorsFolder.SingleFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"int8 model folder '{directory}' has no {SafeTensorsFolder.SingleFile}", path);
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var file = SafeTensorsFile.Open(path);
        // int8 values are read in place from the mapping while they are packed for the kernel, then unmapped: the
        // model ends up holding one copy of them, not two.
        foreach (var name in file.Names)
            if (rename(name) is { } key) state[key] = file.Info(name).DType == "I8" ? file.Map(name) : file.Load(name);
        Warnings.WarnNonFinite(path, state.Where(e => e.Value.DType != DType.Int8));
        try
        {
            Compression.ModelQuantization.LoadQuantized(model, quantization, state, path);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"{path} does not match {Path.Combine(directory, "config.json")}: {e.Message}", e);
        }
        finally
        {
            foreach (var value in state.Values)
                if (value.DType == DType.Int8) value.Dispose();
        }
        // The registered tensors (an int8 layer's values are a placeholder there, already filled above).
        var own = model.RegisteredTensors();
        var result = new LoadStateResult(own.Keys.Where(k => !state.ContainsKey(k)).ToList(), state.Keys.Where(k => !own.ContainsKey(k)).ToList());
        if (!result.IsExact) throw new InvalidDataException($"{path} does not match {Path.Combine(directory, "config.json")}: {result.Describe()}");
        foreach (var (key, target) in own)
        {
            var source = state[key];
            if (ReferenceEquals(source, target) || target.DType == DType.Int8) continue;   // an int8 layer's values and scale, taken above
            if (source.DType == DType.Int8)
                throw new InvalidDataException($"{path}: tensor '{key}' is I8, but config.json's quantization entry does not list its layer as int8-quantized");
            if (!source.Shape.SequenceEqual(target.Shape))
                throw new InvalidDataException($"{path}: tensor '{key}' has shape {ShapeUtil.Format(source.Shape.ToArray())}, the model expects {ShapeUtil.Format(target.Shape.ToArray())} (does config.json belong to these weights?)");
            if (source.DType != target.DType)
            {
                var converted = source.To(target.DType);
                source.Dispose();
                source = converted;
            }
            target.Set(source);
        }
    }
}
