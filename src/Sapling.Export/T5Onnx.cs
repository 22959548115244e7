using Sapling.Export.Onnx;
using Sapling.Models.T5;
using Sapling.NN;

using static Sapling.Export.Seq2SeqOnnx;

namespace Sapling.Export;

/// <summary>
/// T5 as the three graphs Hugging Face Optimum exports for generation, with the inputs and outputs of
/// <see cref="BartOnnx"/> (encoder_model.onnx, decoder_model.onnx, decoder_with_past_model.onnx). The relative-position
/// bias is computed in the graph from a table of buckets: buckets stop changing beyond relative_attention_max_distance,
/// so the relative positions are clipped to ± that distance and the bucket of each is looked up (the table is the one
/// <see cref="T5Attention.RelativePositionBucket"/> gives), then the bias of each bucket and head.
/// </summary>
internal static class T5Onnx
{
    public static ModelProto Encoder(T5ForConditionalGeneration model)
    {
        ClassifierOnnx.RequireNoAdapters(model);
        var config = model.Config;
        var g = new OnnxGraphBuilder("sapling_t5_encoder");
        g.Input("input_ids", Int64Type, Batch, EncoderSequence);
        g.Input("attention_mask", Int64Type, Batch, EncoderSequence);
        var zero = g.Scalar("zero", 0L);
        var length = SequenceLength(g, "input_ids", "encoder");
        var bias = g.Node("Add", [PositionBias(g, model.Encoder, "encoder", zero, length, bidirectional: true), MaskBias(g, "attention_mask")], "encoder.bias");
        var x = g.Node("Gather", [g.Weight("shared.weight", model.Shared.Weight), "input_ids"], "encoder.embed_tokens");
        for (int i = 0; i < model.Encoder.Blocks.Count; i++)
        {
            var block = model.Encoder.Blocks[i];
            string path = $"encoder.block.{i}";
            x = SelfAttention(g, block.SelfAttention, $"{path}.layer.0", x, bias, config, null, null).Output;
            x = FeedForward(g, block.FeedForward, $"{path}.layer.1", x, config);
        }
        x = RmsNorm(g, model.Encoder.FinalLayerNorm, "encoder.final_layer_norm", x);
        g.Output(x, "last_hidden_state", FloatType, Batch, EncoderSequence, config.DModel);
        return OnnxModelFile.Create(g.Graph, "Sapling t5 encoder. Inputs: token ids and attention mask (1 real, 0 padding).", Metadata(model));
    }

    public static ModelProto Decoder(T5ForConditionalGeneration model, bool withPast)
    {
        ClassifierOnnx.RequireNoAdapters(model);
        var config = model.Config;
        int heads = config.NumHeads, headDim = config.DKv;
        var g = new OnnxGraphBuilder($"sapling_t5_decoder{(withPast ? "_with_past" : "")}");
        var targetAxis = withPast ? (OnnxDim)1 : DecoderSequence;
        g.Input("input_ids", Int64Type, Batch, targetAxis);
        if (!withPast) g.Input("encoder_hidden_states", FloatType, Batch, EncoderSequence, config.DModel);
        g.Input("encoder_attention_mask", Int64Type, Batch, EncoderSequence);
        var blocks = model.Decoder.Blocks;
        if (withPast)
            for (int i = 0; i < blocks.Count; i++)
                foreach (var (part, axis) in new[] { ("decoder", PastSequence), ("encoder", EncoderSequence) })
                    foreach (var kind in new[] { "key", "value" })
                        g.Input($"past_key_values.{i}.{part}.{kind}", FloatType, Batch, heads, axis, headDim);
        var start = withPast ? PastLength(g) : g.Scalar("zero", 0L);
        var length = SequenceLength(g, "input_ids", "decoder");
        var bias = PositionBias(g, model.Decoder, "decoder", start, length, bidirectional: false);
        if (!withPast) bias = g.Node("Add", [bias, CausalBias(g)], "decoder.causal_bias");
        var crossBias = MaskBias(g, "encoder_attention_mask");
        var x = g.Node("Gather", [g.Weight("shared.weight", model.Shared.Weight), "input_ids"], "decoder.embed_tokens");
        var presents = new List<(string Value, string Name, OnnxDim Length)>();
        for (int i = 0; i < blocks.Count; i++)
        {
            var block = blocks[i];
            string path = $"decoder.block.{i}";
            var (pastKey, pastValue) = withPast ? ($"past_key_values.{i}.decoder.key", $"past_key_values.{i}.decoder.value") : ((string?)null, (string?)null);
            var (output, keys, values) = SelfAttention(g, block.SelfAttention, $"{path}.layer.0", x, bias, config, pastKey, pastValue);
            x = output;
            presents.Add((keys, $"present.{i}.decoder.key", withPast ? "past_sequence + 1" : DecoderSequence));
            presents.Add((values, $"present.{i}.decoder.value", withPast ? "past_sequence + 1" : DecoderSequence));

            var cross = block.CrossAttention!;
            string crossPath = $"{path}.layer.1";
            var normed = RmsNorm(g, cross.LayerNorm, $"{crossPath}.layer_norm", x);
            var attention = cross.EncDecAttention;
            var q = Heads(g, attention.Q, $"{crossPath}.EncDecAttention.q", normed, heads);
            string ck, cv;
            if (withPast) (ck, cv) = ($"past_key_values.{i}.encoder.key", $"past_key_values.{i}.encoder.value");
            else
            {
                ck = Heads(g, attention.K, $"{crossPath}.EncDecAttention.k", "encoder_hidden_states", heads);
                cv = Heads(g, attention.V, $"{crossPath}.EncDecAttention.v", "encoder_hidden_states", heads);
                presents.Add((ck, $"present.{i}.encoder.key", EncoderSequence));
                presents.Add((cv, $"present.{i}.encoder.value", EncoderSequence));
            }
            var crossed = Attend(g, attention.O, $"{crossPath}.EncDecAttention.o", $"{crossPath}.EncDecAttention", q, ck, cv, crossBias, config.InnerDim);
            x = g.Node("Add", [x, crossed], $"{crossPath}.residual");
            x = FeedForward(g, block.FeedForward, $"{path}.layer.2", x, config);
        }
        x = RmsNorm(g, model.Decoder.FinalLayerNorm, "decoder.final_layer_norm", x);
        var logits = model.LmHead != null
            ? BertOnnx.Linear(g, model.LmHead, "lm_head", x)
            : g.Node("MatMul", [g.Node("Mul", [x, g.Scalar("lm_head.scale", 1f / MathF.Sqrt(config.DModel))], "lm_head.scaled"),
                g.Node("Transpose", ["shared.weight"], "lm_head.weight_t", OnnxAttr.Ints("perm", 1, 0))], "lm_head");
        g.Output(logits, "logits", FloatType, Batch, targetAxis, config.VocabSize);
        foreach (var (value, name, axis) in presents) g.Output(value, name, FloatType, Batch, heads, axis, headDim);
        return OnnxModelFile.Create(g.Graph, $"Sapling t5 decoder{(withPast ? " with past keys and values (one new token per row)" : "")}. Start each target from decoder_start_token_id {config.DecoderStartTokenId}.", Metadata(model));
    }

    /// <summary>[1, heads, T, start + T]: the bias of key j for query start + i, from the stack's first block.</summary>
    private static string PositionBias(OnnxGraphBuilder g, T5Stack stack, string path, string start, string length, bool bidirectional)
    {
        var attention = stack.Blocks[0].SelfAttention.SelfAttention;
        int buckets = stack.Config.RelativeAttentionNumBuckets, maxDistance = stack.Config.RelativeAttentionMaxDistance;
        var table = new long[2 * maxDistance + 1];
        for (int r = -maxDistance; r <= maxDistance; r++) table[r + maxDistance] = T5Attention.RelativePositionBucket(r, bidirectional, buckets, maxDistance);
        var end = g.Node("Add", [start, length], $"{path}.end");
        var queries = g.Node("Range", [start, end, g.Scalar($"{path}.step", 1L)], $"{path}.query_positions");
        var keys = g.Node("Range", [g.Scalar($"{path}.zero", 0L), end, g.Scalar($"{path}.key_step", 1L)], $"{path}.key_positions");
        var relative = g.Node("Sub", [g.Node("Unsqueeze", [keys, g.Int64s($"{path}.key_axis", [0], 1)], $"{path}.keys"), g.Node("Unsqueeze", [queries, g.Int64s($"{path}.query_axis", [1], 1)], $"{path}.queries")], $"{path}.relative");
        var clipped = g.Node("Clip", [relative, g.Scalar($"{path}.min", (long)-maxDistance), g.Scalar($"{path}.max", (long)maxDistance)], $"{path}.clipped");
        var index = g.Node("Add", [clipped, g.Scalar($"{path}.offset", (long)maxDistance)], $"{path}.bucket_index");
        var bucket = g.Node("Gather", [g.Int64s($"{path}.buckets", table, table.Length), index], $"{path}.bucket");
        var values = g.Node("Gather", [g.Weight($"{path}.block.0.layer.0.SelfAttention.relative_attention_bias.weight", attention.RelativeAttentionBias!.Weight), bucket], $"{path}.bias_values");   // [T, K, heads]
        return g.Node("Unsqueeze", [g.Node("Transpose", [values], $"{path}.bias_t", OnnxAttr.Ints("perm", 2, 0, 1)), g.Int64s($"{path}.batch_axis", [0], 1)], $"{path}.position_bias");
    }

    /// <summary>x + o(softmax(q·kᵀ + bias)·v) over norm(x), with the past keys and values joined when given; returns the
    /// output and the keys and values the step leaves [B, heads, past + T, d_kv].</summary>
    private static (string Output, string Keys, string Values) SelfAttention(OnnxGraphBuilder g, T5LayerSelfAttention layer, string path, string x, string bias, T5Config config, string? pastKey, string? pastValue)
    {
        var normed = RmsNorm(g, layer.LayerNorm, $"{path}.layer_norm", x);
        var attention = layer.SelfAttention;
        var q = Heads(g, attention.Q, $"{path}.SelfAttention.q", normed, config.NumHeads);
        var k = Heads(g, attention.K, $"{path}.SelfAttention.k", normed, config.NumHeads);
        var v = Heads(g, attention.V, $"{path}.SelfAttention.v", normed, config.NumHeads);
        if (pastKey != null) k = g.Node("Concat", [pastKey, k], $"{path}.keys", OnnxAttr.Int("axis", 2));
        if (pastValue != null) v = g.Node("Concat", [pastValue, v], $"{path}.values", OnnxAttr.Int("axis", 2));
        var attended = Attend(g, attention.O, $"{path}.SelfAttention.o", $"{path}.SelfAttention", q, k, v, bias, config.InnerDim);
        return (g.Node("Add", [x, attended], $"{path}.residual"), k, v);
    }

    private static string FeedForward(OnnxGraphBuilder g, T5LayerFF layer, string path, string x, T5Config config)
    {
        var normed = RmsNorm(g, layer.LayerNorm, $"{path}.layer_norm", x);
        var ff = layer.DenseReluDense;
        var hidden = ff.Wi != null
            ? Activate(g, config.DenseActFn, BertOnnx.Linear(g, ff.Wi, $"{path}.DenseReluDense.wi", normed), path)
            : g.Node("Mul", [Activate(g, config.DenseActFn, BertOnnx.Linear(g, ff.Wi0!, $"{path}.DenseReluDense.wi_0", normed), path), BertOnnx.Linear(g, ff.Wi1!, $"{path}.DenseReluDense.wi_1", normed)], $"{path}.gated");
        return g.Node("Add", [x, BertOnnx.Linear(g, ff.Wo, $"{path}.DenseReluDense.wo", hidden)], $"{path}.residual");
    }

    /// <summary>T5's layer norm: x / √(mean(x²) + ε) · weight (no mean subtracted, no bias), from opset-17 ops.</summary>
    internal static string RmsNorm(OnnxGraphBuilder g, RMSNorm norm, string path, string x)
    {
        var meanSquare = g.Node("ReduceMean", [g.Node("Mul", [x, x], $"{path}.square")], $"{path}.mean_square", OnnxAttr.Ints("axes", -1), OnnxAttr.Int("keepdims", 1));
        var inverse = g.Node("Reciprocal", [g.Node("Sqrt", [g.Node("Add", [meanSquare, g.Scalar($"{path}.eps", norm.Eps)], $"{path}.plus_eps")], $"{path}.rms")], $"{path}.inverse_rms");
        return g.Node("Mul", [g.Node("Mul", [x, inverse], $"{path}.normalized"), g.Weight($"{path}.weight", norm.Weight)], path);
    }
}
