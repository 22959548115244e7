using Sapling.Autograd;
using Sapling.Models;
using Sapling.NN;

namespace Sapling.Inference;

/// <summary>
/// One decode step for several independent sequences, each with its own KV cache of its own length: the model's own
/// forward pass over a <see cref="KvCacheBatch"/>, so every weight product runs once over all rows. Row b's logits
/// equal what the model gives for that sequence alone.
/// </summary>
public static class BatchedDecode
{
    /// <summary>Feeds <paramref name="tokens"/>[b] to the sequence cached in <paramref name="caches"/>[b]; returns logits [B, vocab].</summary>
    public static Tensor Step(ICausalLM model, ReadOnlySpan<int> tokens, IReadOnlyList<KvCache> caches)
    {
        int batch = tokens.Length;
        if (batch == 0 || caches.Count != batch)
            throw new ArgumentException($"decode step: {batch} tokens for {caches.Count} caches (one token per cached sequence, at least one)");
        var ids = new long[batch];
        for (int b = 0; b < batch; b++)
        {
            if (tokens[b] < 0 || tokens[b] >= model.VocabSize) throw new ArgumentOutOfRangeException(nameof(tokens), $"token {tokens[b]} is outside the vocabulary of {model.VocabSize}");
            if (caches[b].Length == 0) throw new ArgumentException($"decode step: sequence {b} has an empty cache; prefill its prompt first");
            if (caches[b].Length >= Math.Min(caches[b].MaxLength, model.ContextLength)) throw new ArgumentException($"decode step: sequence {b} already fills its cache of {caches[b].MaxLength} positions");
            ids[b] = tokens[b];
        }
        using var _ = NoGrad.Enter();
        return model.LastPositionLogits(Tensor.FromArray(ids, batch, 1), new KvCacheBatch(caches));
    }
}
