using Sapling.Autograd;
using Sapling.Models.Bert;

namespace Sapling.Export.Import;

/// <summary>
/// Recognises a BERT encoder exported from Hugging Face (PyTorch's exporter) by its initializer names, and gathers its
/// weights under BertModel's names: the linear layers' weights, which constant folding stores transposed under
/// generated names ("onnx::MatMul_…"), are found through the MatMul that feeds the Add of their named bias; a Gemm keeps
/// its orientation. The head count is not stored in any weight, so each plausible one is tried and the one whose
/// model reproduces the graph is kept; the layer norm's epsilon is read from the graph.
/// </summary>
internal static class BertRecognizer
{
    public static (BertModel Model, double Difference)? TryRecognize(OnnxGraph graph, OnnxModule module, out string reason)
    {
        var init = graph.Initializers;
        string prefix = init.ContainsKey("bert.embeddings.word_embeddings.weight") ? "bert." : "";
        if (!init.ContainsKey(prefix + "embeddings.word_embeddings.weight"))
        {
            reason = "no BERT embeddings (embeddings.word_embeddings.weight)";
            return null;
        }
        var ids = graph.Inputs.FirstOrDefault(i => i.Name == "input_ids");
        if (ids == null)
        {
            reason = "no input named input_ids";
            return null;
        }
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, value) in init)
            if (name.StartsWith(prefix, StringComparison.Ordinal) && name.EndsWith(".weight", StringComparison.Ordinal) | name.EndsWith(".bias", StringComparison.Ordinal))
                state[name[prefix.Length..]] = value;
        var producers = new Dictionary<string, OnnxNode>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
            foreach (var o in node.Outputs) producers[o] = node;
        // Linear layers: bias named, weight behind a MatMul (transposed) or inside a Gemm.
        foreach (var node in graph.Nodes)
        {
            if (node.OpType == "Add" && node.Inputs.Count == 2)
            {
                int biasSide = init.ContainsKey(node.Inputs[1]) ? 1 : init.ContainsKey(node.Inputs[0]) ? 0 : -1;
                if (biasSide < 0 || !node.Inputs[biasSide].EndsWith(".bias", StringComparison.Ordinal)) continue;
                if (!producers.TryGetValue(node.Inputs[1 - biasSide], out var matmul) || matmul.OpType != "MatMul") continue;
                var weightName = node.Inputs[biasSide][..^".bias".Length] + ".weight";
                if (TryWeight(matmul.Inputs[1], init, producers) is { } w) state[weightName[prefix.Length..]] = w;
            }
            else if (node.OpType == "Gemm" && node.Inputs.Count == 3 && init.TryGetValue(node.Inputs[1], out var gw) && node.Inputs[2].EndsWith(".bias", StringComparison.Ordinal))
            {
                var weightName = node.Inputs[2][..^".bias".Length] + ".weight";
                state[weightName[prefix.Length..]] = node.Int("transB", 0) != 0 ? gw : gw.Transpose(0, 1).Contiguous();
            }
        }
        var word = state["embeddings.word_embeddings.weight"];
        int layers = 0;
        while (state.ContainsKey($"encoder.layer.{layers}.attention.self.query.weight")) layers++;
        if (layers == 0 || !state.TryGetValue("encoder.layer.0.intermediate.dense.weight", out var intermediate)
            || !state.TryGetValue("embeddings.position_embeddings.weight", out var positions) || !state.TryGetValue("embeddings.token_type_embeddings.weight", out var types))
        {
            reason = "its weights do not have BertModel's layout (layers, intermediate, position and token-type embeddings)";
            return null;
        }
        int hidden = word.Shape[1];
        var baseConfig = new BertConfig
        {
            VocabSize = word.Shape[0],
            HiddenSize = hidden,
            NumHiddenLayers = layers,
            IntermediateSize = intermediate.Shape[0],
            MaxPositionEmbeddings = positions.Shape[0],
            TypeVocabSize = types.Shape[0],
            LayerNormEps = Epsilon(graph, init) ?? 1e-12f,
            AddPoolingLayer = state.ContainsKey("pooler.dense.weight"),
        };
        string last = "no head count reproduced the graph";
        foreach (int headDim in new[] { 64, 32, 128, 96, 80, 16 })
        {
            if (hidden % headDim != 0) continue;
            var config = baseConfig with { NumAttentionHeads = hidden / headDim };
            var model = new BertModel(config);
            var load = model.LoadStateDict(state, strict: false);
            if (load.MissingKeys.Count > 0)
            {
                reason = $"weights missing for BertModel: {string.Join(", ", load.MissingKeys.Take(5))}";
                return null;
            }
            model.Eval();
            double difference = Compare(graph, module, model);
            if (difference <= OnnxImporter.Tolerance)
            {
                reason = "";
                return (model, difference);
            }
            last = $"with {config.NumAttentionHeads} heads the model differs from the graph by {difference:G3}";
        }
        reason = $"it has BERT's weights, but {last}";
        return null;
    }

    /// <summary>A weight as a Linear stores it ([out, in]) from the MatMul's right operand: a folded transposed initializer, or Transpose(named weight).</summary>
    private static Tensor? TryWeight(string value, IReadOnlyDictionary<string, Tensor> init, Dictionary<string, OnnxNode> producers)
    {
        if (init.TryGetValue(value, out var w) && w.Rank == 2) return w.Transpose(0, 1).Contiguous();
        if (producers.TryGetValue(value, out var t) && t.OpType == "Transpose" && init.TryGetValue(t.Inputs[0], out var named) && named.Rank == 2) return named;
        return null;
    }

    /// <summary>The layer norms' epsilon: a LayerNormalization's attribute, or the small constant a decomposed one adds to the variance.</summary>
    private static float? Epsilon(OnnxGraph graph, IReadOnlyDictionary<string, Tensor> init)
    {
        var constants = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var producers = new Dictionary<string, OnnxNode>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
        {
            foreach (var o in node.Outputs) producers[o] = node;
            if (node.OpType == "LayerNormalization") return node.Float("epsilon", 1e-5f);
            if (node.OpType == "Constant" && node.Tensor("value") is { } v) constants[node.Outputs[0]] = v;
        }
        foreach (var node in graph.Nodes)
        {
            if (node.OpType != "Add" || node.Inputs.Count != 2) continue;
            for (int side = 0; side < 2; side++)
            {
                var c = init.GetValueOrDefault(node.Inputs[side]) ?? constants.GetValueOrDefault(node.Inputs[side]);
                if (c is not { NumEl: 1 } || !c.DType.IsComputeType()) continue;
                if (!producers.TryGetValue(node.Inputs[1 - side], out var p) || p.OpType != "ReduceMean") continue;
                float eps = c.To(DType.Float32).Contiguous().ToArray<float>()[0];
                if (eps > 0 && eps < 1e-3f) return eps;
            }
        }
        return null;
    }

    /// <summary>Largest difference, relative to the largest value, over the real (unpadded) tokens' states and the pooled vectors.</summary>
    private static double Compare(OnnxGraph graph, OnnxModule module, BertModel model)
    {
        int b = 2, t = Math.Min(12, model.Config.MaxPositionEmbeddings), padded = Math.Min(4, t - 1);
        var random = new Random(20261206);
        var ids = new long[b * t];
        var mask = new long[b * t];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = random.Next(Math.Min(1000, model.Config.VocabSize - 1), model.Config.VocabSize);
            mask[i] = i >= b * t - padded ? 0 : 1;
        }
        var feeds = new Dictionary<string, Tensor>();
        var idTensor = Tensor.FromArray(ids, b, t);
        var maskTensor = Tensor.FromArray(mask, b, t);
        var typeTensor = Tensor.Zeros([b, t], DType.Int64);
        foreach (var input in graph.Inputs)
            feeds[input.Name] = input.Name switch
            {
                "input_ids" => idTensor,
                "attention_mask" => maskTensor,
                "token_type_ids" => typeTensor,
                _ => throw new InvalidDataException($"{graph.Source}: BERT input '{input.Name}' is not input_ids, attention_mask or token_type_ids"),
            };
        using var _ = NoGrad.Enter();
        var expected = module.Run(feeds);
        var (hidden, pooled) = model.Forward(idTensor, graph.Inputs.Any(i => i.Name == "attention_mask") ? maskTensor : null, typeTensor);
        double largest = 1e-12, difference = 0;
        foreach (var (_, value) in expected)
        {
            var reference = value.Contiguous().ToArray<float>();
            var actual = value.Rank == 3 ? hidden : pooled;
            if (actual == null || !actual.Shape.SequenceEqual(value.Shape)) return double.PositiveInfinity;
            var got = actual.Contiguous().ToArray<float>();
            int h = value.Shape[^1];
            for (int i = 0; i < got.Length; i++)
            {
                if (value.Rank == 3 && mask[i / h] == 0) continue;
                largest = Math.Max(largest, Math.Abs(reference[i]));
                difference = Math.Max(difference, Math.Abs(reference[i] - got[i]));
            }
        }
        return double.IsFinite(difference) ? difference / largest : double.PositiveInfinity;
    }
}
