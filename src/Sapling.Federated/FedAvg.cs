namespace Sapling.Federated;

/// <summary>
/// Federated averaging: the new global weights are the clients' weights averaged with each client weighted by how
/// many examples it trained on (McMahan et al., 2017). Sums run in double precision so the order of clients barely
/// matters. Integer buffers (e.g. BatchNorm's batch counter) are taken from the first client.
/// </summary>
public static class FedAvg
{
    /// <summary>
    /// Averages client weights, each weighted by its sample count. All updates must hold the same tensor names and
    /// shapes, and at least one example in total; float tensors come back as float32 (or float64 if so in the first).
    /// </summary>
    public static Dictionary<string, Tensor> Aggregate(IReadOnlyList<(IReadOnlyDictionary<string, Tensor> Weights, long Samples)> updates)
    {
        if (updates.Count == 0) throw new ArgumentException("FedAvg needs at least one client update");
        long total = updates.Sum(u => u.Samples);
        if (total <= 0) throw new ArgumentException("FedAvg: the clients trained on no examples");
        var first = updates[0].Weights;
        foreach (var (weights, _) in updates.Skip(1))
        {
            if (weights.Count != first.Count || weights.Keys.Any(k => !first.ContainsKey(k)))
                throw new ArgumentException($"FedAvg: client updates hold different tensors ({string.Join(", ", weights.Keys.Except(first.Keys).Concat(first.Keys.Except(weights.Keys)).Take(5))})");
        }
        var result = new Dictionary<string, Tensor>();
        foreach (var (name, reference) in first)
        {
            if (!reference.DType.IsComputeType())
            {
                result[name] = reference.Clone();
                continue;
            }
            var sum = new double[reference.NumEl];
            foreach (var (weights, samples) in updates)
            {
                var t = weights[name];
                if (!t.Shape.SequenceEqual(reference.Shape))
                    throw new ArgumentException($"FedAvg: '{name}' has shape [{string.Join(", ", t.Shape.ToArray())}] in one update and [{string.Join(", ", reference.Shape.ToArray())}] in another");
                if (!t.DType.IsComputeType())
                    throw new ArgumentException($"FedAvg: '{name}' is {reference.DType.Name()} in one update and {t.DType.Name()} in another");
                var values = t.DType == DType.Float64 ? t.Contiguous().ToArray<double>() : Array.ConvertAll(t.Contiguous().ToArray<float>(), v => (double)v);
                double share = (double)samples / total;
                for (int i = 0; i < values.Length; i++) sum[i] += share * values[i];
            }
            var averaged = Tensor.FromArray(sum, reference.Shape.ToArray());
            result[name] = reference.DType == DType.Float64 ? averaged : averaged.To(DType.Float32);
        }
        return result;
    }
}
