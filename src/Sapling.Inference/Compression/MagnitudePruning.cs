using Sapling.Autograd;
using Sapling.NN;

namespace Sapling.Inference.Compression;

/// <summary>
/// Unstructured global magnitude pruning (Han et al., 2015): one threshold over all the prunable weights together, so
/// layers with many small weights lose more than layers with few. Pruned weights are set to zero in place; the
/// returned masks (1 kept, 0 pruned) keep them at zero during a fine-tune.
/// </summary>
public static class MagnitudePruning
{
    /// <summary>
    /// The weights pruning considers: those of Linear, GPT-2 Conv1D and Conv2d layers. Embeddings (and so a GPT's tied
    /// output head), norms and biases are left whole: they are small or every token reads them.
    /// </summary>
    public static List<(string Name, Tensor Weight)> PrunableWeights(Module model)
    {
        var result = new List<(string, Tensor)>();
        foreach (var (name, module) in model.NamedModules())
        {
            if (module is IQuantizable { Quantized: not null })
                throw new InvalidOperationException($"prune: layer '{name}' is int8-quantized; prune the float32 model, then quantize");
            Tensor? weight = module switch { LinearLayer l => l.Weight, Conv2d c => c.Weight, _ => null };
            if (weight != null) result.Add(($"{name}.weight", weight));
        }
        if (result.Count == 0) throw new InvalidOperationException($"prune: {model.GetType().Name} has no Linear, Conv1D or Conv2d weight");
        return result;
    }

    /// <summary>
    /// The |w| at or below which weights are pruned so that exactly ⌊sparsity·N⌋ of the N weights go. Ties at the
    /// threshold are broken by position (earlier weights first), so the count is exact.
    /// </summary>
    public static Dictionary<string, Tensor> Prune(Module model, double sparsity)
    {
        CheckSparsity(sparsity);
        var weights = PrunableWeights(model);
        long total = weights.Sum(w => (long)w.Weight.NumEl);
        if (total > Array.MaxLength) throw new NotSupportedException($"prune: {total} weights are more than one array can sort");
        var magnitudes = new float[total];
        int at = 0;
        foreach (var (_, w) in weights)
            foreach (float v in w.ToArray()) magnitudes[at++] = MathF.Abs(v);
        long count = (long)Math.Floor(sparsity * total);
        float threshold = 0f;
        if (count > 0)
        {
            var sorted = (float[])magnitudes.Clone();
            Array.Sort(sorted);
            threshold = sorted[count - 1];
        }
        // Everything strictly below the threshold goes, then ties at it until the count is reached.
        long below = magnitudes.LongCount(m => m < threshold);
        long tiesToPrune = count - below;
        var masks = new Dictionary<string, Tensor>();
        at = 0;
        foreach (var (name, w) in weights)
        {
            var mask = new float[w.NumEl];
            for (int i = 0; i < mask.Length; i++, at++)
            {
                float m = magnitudes[at];
                bool prune = count > 0 && (m < threshold || (m == threshold && tiesToPrune-- > 0));
                mask[i] = prune ? 0f : 1f;
            }
            var maskTensor = Tensor.FromArray(mask, w.Shape.ToArray()).KeepAlive();
            using (NoGrad.Enter()) w.CopyFrom(w.Mul(maskTensor));
            masks[name] = maskTensor;
        }
        return masks;
    }

    /// <summary>Zeroes the pruned weights again (after an optimiser step moved them).</summary>
    public static void ApplyMasks(Module model, IReadOnlyDictionary<string, Tensor> masks)
    {
        var state = model.StateDict();
        using var _ = NoGrad.Enter();
        foreach (var (name, mask) in masks) state[name].CopyFrom(state[name].Mul(mask));
    }

    /// <summary>Fraction of exact zeros among the prunable weights.</summary>
    public static double Sparsity(Module model)
    {
        long zeros = 0, total = 0;
        foreach (var (_, w) in PrunableWeights(model))
        {
            foreach (float v in w.ToArray()) if (v == 0f) zeros++;
            total += w.NumEl;
        }
        return (double)zeros / total;
    }

    /// <summary>Refuses a sparsity outside [0, 1) (NaN included) with an <see cref="ArgumentException"/>.</summary>
    public static void CheckSparsity(double sparsity)
    {
        if (!(sparsity >= 0 && sparsity < 1)) throw new ArgumentException($"prune: --sparsity must be in [0, 1), got {sparsity}");
    }
}
