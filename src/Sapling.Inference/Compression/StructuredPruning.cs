using Sapling.Autograd;
using Sapling.Models.Classifiers;
using Sapling.Models.Gpt;
using Sapling.NN;

namespace Sapling.Inference.Compression;

/// <summary>
/// Structured pruning: whole units are removed and the matrices shrink, so the pruned model is smaller and faster
/// without sparse kernels. A GPT loses MLP hidden units (columns of c_fc, rows of c_proj; n_inner shrinks); a CNN
/// loses convolution output channels (with their batch-norm entries and the next layer's inputs) and hidden units of
/// its fully connected layer. Units are ranked by weight norm within each layer, and every layer keeps
/// ⌈(1 − sparsity)·units⌉ (at least one).
/// </summary>
public static class StructuredPruning
{
    /// <summary>Units kept out of <paramref name="units"/>.</summary>
    public static int KeptUnits(int units, double sparsity) => Math.Max(1, (int)Math.Ceiling((1 - sparsity) * units - 1e-9));

    /// <summary>
    /// Indices (ascending) of the <paramref name="keep"/> largest scores; ties keep the earlier unit.
    /// </summary>
    public static long[] TopUnits(float[] scores, int keep) =>
        Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(keep).Order().Select(i => (long)i).ToArray();

    /// <summary>
    /// A GPT with ⌈(1 − sparsity)·n_inner⌉ MLP hidden units per block. A unit's score is ‖c_fc column‖₂ · ‖c_proj row‖₂:
    /// how strongly it can be driven times how much it writes back to the residual stream.
    /// </summary>
    public static GptModel PruneGpt(GptModel model, double sparsity)
    {
        MagnitudePruning.CheckSparsity(sparsity);
        RefuseQuantized(model);
        int inner = model.Config.Inner, keep = KeptUnits(inner, sparsity);
        var state = model.StateDict().ToDictionary(e => e.Key, e => e.Value);
        using (NoGrad.Enter())
            for (int i = 0; i < model.Blocks.Count; i++)
            {
                var mlp = model.Blocks[i].Mlp;
                var scores = ColumnNorms(mlp.CFc.Weight).Zip(RowNorms(mlp.CProj.Weight), (a, b) => a * b).ToArray();
                var kept = Tensor.FromArray(TopUnits(scores, keep));
                string prefix = $"h.{i}.mlp.";
                state[prefix + "c_fc.weight"] = mlp.CFc.Weight.IndexSelect(1, kept);
                state[prefix + "c_fc.bias"] = mlp.CFc.Bias.IndexSelect(0, kept);
                state[prefix + "c_proj.weight"] = mlp.CProj.Weight.IndexSelect(0, kept);
            }
        var pruned = new GptModel(model.Config with { NInner = keep });
        if (model.Score != null) pruned.AddClassificationHead(model.Config.Labels, model.Config.PadTokenId ?? 0, model.Config.ClassifierPooling ?? "last");
        pruned.LoadStateDict(state);
        pruned.Eval();
        return pruned;
    }

    /// <summary>
    /// A GPT with ⌈(1 − sparsity)·heads⌉ attention heads left in every layer (at least one). A head's score is the L2
    /// norm of its query, key and value columns in c_attn times that of its rows in c_proj; its columns and rows are cut
    /// out, and config pruned_heads records the removed heads by their original index (as Hugging Face does).
    /// </summary>
    public static GptModel PruneGptHeads(GptModel model, double sparsity)
    {
        MagnitudePruning.CheckSparsity(sparsity);
        RefuseQuantized(model);
        var config = model.Config;
        int headDim = config.HeadDim;
        var state = model.StateDict().ToDictionary(e => e.Key, e => e.Value);
        var prunedHeads = new Dictionary<string, int[]>();
        using (NoGrad.Enter())
            for (int i = 0; i < model.Blocks.Count; i++)
            {
                var attn = model.Blocks[i].Attn;
                int heads = attn.Heads, inner = heads * headDim, keep = KeptUnits(heads, sparsity);
                string layer = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var already = config.PrunedHeads?.GetValueOrDefault(layer) ?? [];
                var original = Enumerable.Range(0, config.NHead).Except(already).Order().ToArray();
                var columns = ColumnNorms(attn.CAttn.Weight);
                var rows = RowNorms(attn.CProj.Weight);
                var scores = new float[heads];
                for (int h = 0; h < heads; h++)
                {
                    float cin = 0, cout = 0;
                    for (int d = 0; d < headDim; d++)
                    {
                        for (int part = 0; part < 3; part++) cin += columns[part * inner + h * headDim + d] * columns[part * inner + h * headDim + d];
                        cout += rows[h * headDim + d] * rows[h * headDim + d];
                    }
                    scores[h] = MathF.Sqrt(cin) * MathF.Sqrt(cout);
                }
                var kept = TopUnits(scores, keep);
                var keptColumns = Enumerable.Range(0, 3).SelectMany(part => kept.SelectMany(h => Enumerable.Range(0, headDim).Select(d => (long)(part * inner + h * headDim + d)))).ToArray();
                var keptRows = kept.SelectMany(h => Enumerable.Range(0, headDim).Select(d => h * headDim + d)).Select(r => (long)r).ToArray();
                string prefix = $"h.{i}.attn.";
                state[prefix + "c_attn.weight"] = attn.CAttn.Weight.IndexSelect(1, Tensor.FromArray(keptColumns));
                state[prefix + "c_attn.bias"] = attn.CAttn.Bias!.IndexSelect(0, Tensor.FromArray(keptColumns));
                state[prefix + "c_proj.weight"] = attn.CProj.Weight.IndexSelect(0, Tensor.FromArray(keptRows));
                var removed = Enumerable.Range(0, heads).Where(h => !kept.Contains(h)).Select(h => original[h]);
                var all = already.Concat(removed).Order().ToArray();
                if (all.Length > 0) prunedHeads[layer] = all;
            }
        var pruned = new GptModel(config with { PrunedHeads = prunedHeads.Count > 0 ? prunedHeads : null });
        if (model.Score != null) pruned.AddClassificationHead(config.Labels, config.PadTokenId ?? 0, config.ClassifierPooling ?? "last");
        pruned.LoadStateDict(state);
        pruned.Eval();
        return pruned;
    }

    /// <summary>
    /// A SmallCnn with ⌈(1 − sparsity)·width⌉ output channels in every convolution (ranked by the filter's L2 norm)
    /// and as many hidden units in its fully connected layer (ranked by the L2 norm of their incoming weights).
    /// </summary>
    public static IClassifier PruneCnn(IClassifier classifier, double sparsity)
    {
        MagnitudePruning.CheckSparsity(sparsity);
        if (classifier.Module is not SmallCnn cnn)
            throw new NotSupportedException($"prune --structured: {classifier.Config.ModelType} classifiers are not supported yet (only cnn and GPT language models); use unstructured pruning");
        RefuseQuantized(cnn);
        var config = cnn.Config;
        var state = cnn.StateDict().ToDictionary(e => e.Key, e => e.Value);
        var layers = cnn.Features.NamedChildren().ToList();
        var widths = new List<int>();
        Tensor? previousKept = null;
        int flatH = config.InputShape[1], flatW = config.InputShape[2];
        using (NoGrad.Enter())
        {
            for (int i = 0; i < layers.Count; i++)
            {
                if (layers[i].Child is MaxPool2d) (flatH, flatW) = (flatH / 2, flatW / 2);
                if (layers[i].Child is not Conv2d conv) continue;
                string name = $"features.{layers[i].Name}";
                var weight = conv.Weight;
                if (previousKept != null) weight = weight.IndexSelect(1, previousKept);
                var kept = Tensor.FromArray(TopUnits(RowNorms(conv.Weight), KeptUnits(conv.OutChannels, sparsity)));
                state[name + ".weight"] = weight.IndexSelect(0, kept);
                if (conv.Bias != null) state[name + ".bias"] = conv.Bias.IndexSelect(0, kept);
                // The batch norm right after this convolution keeps the same channels.
                if (i + 1 < layers.Count && layers[i + 1].Child is BatchNorm2d)
                    foreach (var key in new[] { "weight", "bias", "running_mean", "running_var" })
                    {
                        string full = $"features.{layers[i + 1].Name}.{key}";
                        if (state.TryGetValue(full, out var t)) state[full] = t.IndexSelect(0, kept);
                    }
                widths.Add((int)kept.NumEl);
                previousKept = kept;
            }
            // The flattened features are channel-major: channel c owns columns c·h·w .. (c+1)·h·w − 1 of fc.1.
            var fc = (Linear)cnn.Fc.NamedChildren().First(c => c.Child is Linear).Child;
            int plane = flatH * flatW;
            var columns = previousKept!.ToArray<long>().SelectMany(c => Enumerable.Range(0, plane).Select(p => c * plane + p)).ToArray();
            var fcWeight = fc.Weight.IndexSelect(1, Tensor.FromArray(columns));
            var hiddenKept = Tensor.FromArray(TopUnits(RowNorms(fcWeight), KeptUnits(config.HiddenSize, sparsity)));
            state["fc.1.weight"] = fcWeight.IndexSelect(0, hiddenKept);
            state["fc.1.bias"] = fc.Bias!.IndexSelect(0, hiddenKept);
            state["head.weight"] = cnn.Head.Weight.IndexSelect(1, hiddenKept);
            var prunedConfig = config with { Channels = widths.ToArray(), HiddenSize = (int)hiddenKept.NumEl };
            var pruned = ClassifierFolder.Create(prunedConfig);
            pruned.Module.LoadStateDict(state);
            pruned.Module.Eval();
            return pruned;
        }
    }

    /// <summary>L2 norm of each row of a [rows, ...] weight (flattened after dim 0).</summary>
    private static float[] RowNorms(Tensor weight)
    {
        int rows = weight.Shape[0], k = weight.NumEl / rows;
        var w = weight.ToArray();
        return Enumerable.Range(0, rows).Select(r => MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(w.AsSpan(r * k, k)))).ToArray();
    }

    private static float[] ColumnNorms(Tensor weight) => RowNorms(weight.T().Contiguous());

    private static void RefuseQuantized(Module model)
    {
        foreach (var (name, module) in model.NamedModules())
            if (module is IQuantizable { Quantized: not null })
                throw new InvalidOperationException($"prune: layer '{name}' is int8-quantized; prune the float32 model, then quantize");
    }
}
