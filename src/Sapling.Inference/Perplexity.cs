using Sapling.Autograd;
using Sapling.Models;

namespace Sapling.Inference;

/// <summary>
/// Next-token loss of a causal language model over consecutive non-overlapping windows of a token stream. Each window
/// runs through the model in chunks with a KV cache, so only a chunk's logits (chunk × vocabulary) ever exist: a
/// 1,024-token window of a 151,936-token vocabulary never needs 600 MB of logits.
/// </summary>
public static class Perplexity
{
    /// <summary>Positions whose logits are computed together.</summary>
    public const int Chunk = 128;

    /// <summary>
    /// The mean next-token loss of <paramref name="model"/> over the whole windows of <paramref name="context"/> tokens
    /// in <paramref name="tokens"/> (a shorter tail is left out); each window starts with an empty cache. Refuses a
    /// window below 2 or past the model's context.
    /// </summary>
    public static PerplexityResult Windowed(ICausalLM model, ReadOnlySpan<long> tokens, int context)
    {
        if (context < 2 || context > model.ContextLength)
            throw new ArgumentException($"perplexity: the window must be between 2 and {model.ContextLength} tokens (the model's context), got {context}");
        int windows = tokens.Length / context;
        double sum = 0;
        long count = 0;
        using var _ = NoGrad.Enter();
        model.Network.Eval();
        using var cache = model.NewCache(1, context);
        for (int w = 0; w < windows; w++)
        {
            cache.Reset();
            var window = tokens.Slice(w * context, context);
            for (int start = 0; start < context - 1; start += Chunk)
            {
                using var scope = new TensorScope();
                // Positions start .. end − 1 predict the tokens after them; the window's last token predicts nothing.
                int length = Math.Min(Chunk, context - 1 - start);
                var ids = Tensor.FromArray(window.Slice(start, length).ToArray(), 1, length);
                var targets = Tensor.FromArray(window.Slice(start + 1, length).ToArray(), length);
                var logits = model.Forward(ids, cache).Reshape(length, model.VocabSize);
                sum += Tensor.CrossEntropy(logits, targets, Reduction.Sum).ItemAsDouble();
                count += length;
            }
        }
        return new PerplexityResult(count == 0 ? double.NaN : sum / count, count, windows);
    }
}
