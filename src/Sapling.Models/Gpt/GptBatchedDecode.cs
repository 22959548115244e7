using Sapling.Autograd;
using Sapling.NN;

namespace Sapling.Models.Gpt;

/// <summary>
/// One decode step for several independent sequences, each with its own KV cache of its own length (continuous
/// batching, as a server does it). Every weight product runs once over all rows; only attention, which reads each
/// row's own past, runs row by row. Row b's logits equal what <see cref="GptModel.Forward(Tensor, KvCache?, int[]?)"/>
/// gives for that sequence alone.
/// </summary>
public static class GptBatchedDecode
{
    /// <summary>Feeds <paramref name="tokens"/>[b] to the sequence cached in <paramref name="caches"/>[b]; returns logits [B, vocab].</summary>
    public static Tensor DecodeStep(this GptModel model, ReadOnlySpan<int> tokens, IReadOnlyList<KvCache> caches)
    {
        int batch = tokens.Length;
        if (batch == 0 || caches.Count != batch)
            throw new ArgumentException($"GPT decode step: {batch} tokens for {caches.Count} caches (one token per cached sequence, at least one)");
        var config = model.Config;
        var ids = new long[batch];
        var positions = new long[batch];
        for (int b = 0; b < batch; b++)
        {
            if (tokens[b] < 0 || tokens[b] >= config.VocabSize) throw new ArgumentOutOfRangeException(nameof(tokens), $"token {tokens[b]} is outside the vocabulary of {config.VocabSize}");
            if (caches[b].Length == 0) throw new ArgumentException($"GPT decode step: sequence {b} has an empty cache; prefill its prompt first");
            if (caches[b].Length >= config.NPositions) throw new ArgumentException($"GPT decode step: sequence {b} already fills the context of {config.NPositions}");
            if (caches[b].Padding != null) throw new ArgumentException("GPT decode step: caches of left-padded batches are not supported; prefill each sequence alone");
            ids[b] = tokens[b];
            positions[b] = caches[b].Length;
        }
        using var _ = NoGrad.Enter();
        var x = model.Wte.Forward(Tensor.FromArray(ids, batch, 1)).Add(model.Wpe.Forward(Tensor.FromArray(positions, batch, 1)));
        for (int layer = 0; layer < model.Blocks.Count; layer++)
        {
            var block = model.Blocks[layer];
            x = x.Add(Attend(block.Attn, block.Ln1.Forward(x), caches, layer));
            x = x.Add(block.Mlp.Forward(block.Ln2.Forward(x)));
        }
        return model.OutputHead(model.LnF.Forward(x)).Reshape(batch, config.VocabSize);
    }

    private static Tensor Attend(CausalSelfAttention attention, Tensor x, IReadOnlyList<KvCache> caches, int layer)
    {
        int batch = x.Shape[0], heads = attention.Heads, headDim = attention.HeadDim, inner = heads * headDim;
        var qkv = attention.CAttn.Forward(x).Split(inner, dim: 2);
        var rows = new Tensor[batch];
        for (int b = 0; b < batch; b++)
        {
            var q = qkv[0].Narrow(0, b, 1).Reshape(1, 1, heads, headDim).Transpose(1, 2);
            var k = qkv[1].Narrow(0, b, 1).Reshape(1, 1, heads, headDim).Transpose(1, 2);
            var v = qkv[2].Narrow(0, b, 1).Reshape(1, 1, heads, headDim).Transpose(1, 2);
            var (keys, values) = caches[b].Append(layer, k, v);
            rows[b] = Tensor.CausalAttention(q, keys, values);
        }
        var attended = (batch == 1 ? rows[0] : Tensor.Cat(rows, dim: 0)).Transpose(1, 2).Reshape(batch, 1, inner);
        return attention.CProj.Forward(attended);
    }
}
