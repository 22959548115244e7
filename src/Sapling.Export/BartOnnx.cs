using Sapling.Export.Onnx;
using Sapling.Models.Bart;
using Sapling.NN;

using static Sapling.Export.Seq2SeqOnnx;

namespace Sapling.Export;

/// <summary>
/// BART and Marian encoder-decoders as the three ONNX graphs Hugging Face Optimum exports for generation:
/// <list type="bullet">
/// <item>encoder_model.onnx: input_ids, attention_mask [batch, encoder_sequence] → last_hidden_state.</item>
/// <item>decoder_model.onnx (the first step, or a whole target under teacher forcing): input_ids [batch,
/// decoder_sequence], encoder_hidden_states, encoder_attention_mask → logits [batch, decoder_sequence, vocab] and, per
/// layer i, present.i.decoder.key/value [batch, heads, decoder_sequence, head_dim] and present.i.encoder.key/value.</item>
/// <item>decoder_with_past_model.onnx (every later step): input_ids [batch, 1], encoder_attention_mask, and
/// past_key_values.i.decoder.key/value and past_key_values.i.encoder.key/value → logits [batch, 1, vocab] and
/// present.i.decoder.key/value, one position longer.</item>
/// </list>
/// Padding enters as −1e9 added to the scores of padded keys; the decoder's positions start after the past it is given.
/// </summary>
internal static class BartOnnx
{
    public static ModelProto Encoder(BartForConditionalGeneration model)
    {
        ClassifierOnnx.RequireNoAdapters(model);
        var config = model.Config;
        var g = new OnnxGraphBuilder($"sapling_{config.ModelType}_encoder");
        g.Input("input_ids", Int64Type, Batch, EncoderSequence);
        g.Input("attention_mask", Int64Type, Batch, EncoderSequence);
        var encoder = model.Model.Encoder;
        var x = Embed(g, model, "model.encoder", encoder.Positions, encoder.LayernormEmbedding, "input_ids", g.Scalar("position_start", 0L));
        var maskBias = MaskBias(g, "attention_mask");
        for (int i = 0; i < encoder.Layers.Count; i++)
        {
            var layer = encoder.Layers[i];
            string path = $"model.encoder.layers.{i}";
            var (q, k, v) = (Heads(g, layer.SelfAttn.QProj, $"{path}.self_attn.q_proj", x, config.EncoderAttentionHeads, scaled: true),
                Heads(g, layer.SelfAttn.KProj, $"{path}.self_attn.k_proj", x, config.EncoderAttentionHeads),
                Heads(g, layer.SelfAttn.VProj, $"{path}.self_attn.v_proj", x, config.EncoderAttentionHeads));
            var attended = Attend(g, layer.SelfAttn.OutProj, $"{path}.self_attn.out_proj", $"{path}.self_attn", q, k, v, maskBias, config.DModel);
            x = GptOnnx.LayerNorm(g, layer.SelfAttnLayerNorm, $"{path}.self_attn_layer_norm", g.Node("Add", [x, attended], $"{path}.self_attn.residual"));
            x = FeedForward(g, layer.Fc1, layer.Fc2, layer.FinalLayerNorm, config.ActivationFunction, path, x);
        }
        g.Output(x, "last_hidden_state", FloatType, Batch, EncoderSequence, config.DModel);
        return OnnxModelFile.Create(g.Graph, $"Sapling {config.ModelType} encoder. Inputs: token ids and attention mask (1 real, 0 padding), at most {config.MaxPositionEmbeddings} tokens.", Metadata(model));
    }

    /// <param name="withPast">The later steps' graph: one new token per row after the keys and values it is given.</param>
    public static ModelProto Decoder(BartForConditionalGeneration model, bool withPast)
    {
        ClassifierOnnx.RequireNoAdapters(model);
        var config = model.Config;
        int heads = config.DecoderAttentionHeads, headDim = config.DecoderHeadDim;
        var g = new OnnxGraphBuilder($"sapling_{config.ModelType}_decoder{(withPast ? "_with_past" : "")}");
        var targetAxis = withPast ? (OnnxDim)1 : DecoderSequence;
        g.Input("input_ids", Int64Type, Batch, targetAxis);
        if (!withPast) g.Input("encoder_hidden_states", FloatType, Batch, EncoderSequence, config.DModel);
        g.Input("encoder_attention_mask", Int64Type, Batch, EncoderSequence);
        var layers = model.Model.Decoder.Layers;
        if (withPast)
            for (int i = 0; i < layers.Count; i++)
            {
                g.Input($"past_key_values.{i}.decoder.key", FloatType, Batch, heads, PastSequence, headDim);
                g.Input($"past_key_values.{i}.decoder.value", FloatType, Batch, heads, PastSequence, headDim);
                g.Input($"past_key_values.{i}.encoder.key", FloatType, Batch, heads, EncoderSequence, headDim);
                g.Input($"past_key_values.{i}.encoder.value", FloatType, Batch, heads, EncoderSequence, headDim);
            }
        // The first new position: the past's length (0 without one).
        var start = withPast ? PastLength(g) : g.Scalar("position_start", 0L);
        var decoder = model.Model.Decoder;
        var x = Embed(g, model, "model.decoder", decoder.Positions, decoder.LayernormEmbedding, "input_ids", start);
        var crossBias = MaskBias(g, "encoder_attention_mask");
        // A whole target attends causally; a single new token sees every past position and itself.
        string? causal = withPast ? null : CausalBias(g);
        var presents = new List<(string Value, string Name, OnnxDim Length)>();
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            string path = $"model.decoder.layers.{i}";
            var q = Heads(g, layer.SelfAttn.QProj, $"{path}.self_attn.q_proj", x, heads, scaled: true);
            var k = Heads(g, layer.SelfAttn.KProj, $"{path}.self_attn.k_proj", x, heads);
            var v = Heads(g, layer.SelfAttn.VProj, $"{path}.self_attn.v_proj", x, heads);
            if (withPast)
            {
                k = g.Node("Concat", [$"past_key_values.{i}.decoder.key", k], $"{path}.self_attn.keys", OnnxAttr.Int("axis", 2));
                v = g.Node("Concat", [$"past_key_values.{i}.decoder.value", v], $"{path}.self_attn.values", OnnxAttr.Int("axis", 2));
            }
            presents.Add((k, $"present.{i}.decoder.key", withPast ? "past_sequence + 1" : DecoderSequence));
            presents.Add((v, $"present.{i}.decoder.value", withPast ? "past_sequence + 1" : DecoderSequence));
            var attended = Attend(g, layer.SelfAttn.OutProj, $"{path}.self_attn.out_proj", $"{path}.self_attn", q, k, v, causal, config.DModel);
            x = GptOnnx.LayerNorm(g, layer.SelfAttnLayerNorm, $"{path}.self_attn_layer_norm", g.Node("Add", [x, attended], $"{path}.self_attn.residual"));

            var cq = Heads(g, layer.EncoderAttn.QProj, $"{path}.encoder_attn.q_proj", x, heads, scaled: true);
            string ck, cv;
            if (withPast) (ck, cv) = ($"past_key_values.{i}.encoder.key", $"past_key_values.{i}.encoder.value");
            else
            {
                ck = Heads(g, layer.EncoderAttn.KProj, $"{path}.encoder_attn.k_proj", "encoder_hidden_states", heads);
                cv = Heads(g, layer.EncoderAttn.VProj, $"{path}.encoder_attn.v_proj", "encoder_hidden_states", heads);
                presents.Add((ck, $"present.{i}.encoder.key", EncoderSequence));
                presents.Add((cv, $"present.{i}.encoder.value", EncoderSequence));
            }
            var crossed = Attend(g, layer.EncoderAttn.OutProj, $"{path}.encoder_attn.out_proj", $"{path}.encoder_attn", cq, ck, cv, crossBias, config.DModel);
            x = GptOnnx.LayerNorm(g, layer.EncoderAttnLayerNorm, $"{path}.encoder_attn_layer_norm", g.Node("Add", [x, crossed], $"{path}.encoder_attn.residual"));
            x = FeedForward(g, layer.Fc1, layer.Fc2, layer.FinalLayerNorm, config.ActivationFunction, path, x);
        }
        // The tied head reads the shared embedding transposed (folded by runtimes at load), so the file holds it once.
        var logits = model.LmHead != null
            ? BertOnnx.Linear(g, model.LmHead, "lm_head", x)
            : g.Node("MatMul", [x, g.Node("Transpose", [SharedWeight(g, model)], "lm_head.weight_t", OnnxAttr.Ints("perm", 1, 0))], "lm_head");
        logits = g.Node("Add", [logits, g.Weight("final_logits_bias", model.FinalLogitsBias)], "logits_biased");
        g.Output(logits, "logits", FloatType, Batch, targetAxis, config.VocabSize);
        foreach (var (value, name, length) in presents) g.Output(value, name, FloatType, Batch, heads, length, headDim);
        return OnnxModelFile.Create(g.Graph, $"Sapling {config.ModelType} decoder{(withPast ? " with past keys and values (one new token per row)" : "")}. Start each target from decoder_start_token_id {config.DecoderStartTokenId}.", Metadata(model));
    }

    private static string SharedWeight(OnnxGraphBuilder g, BartForConditionalGeneration model) =>
        g.Graph.Initializer.Any(t => t.Name == "model.shared.weight") ? "model.shared.weight" : g.Weight("model.shared.weight", model.Model.Shared.Weight);

    /// <summary>Token embeddings (scaled), positions from <paramref name="start"/>, BART's embedding norm: [B, T, d].</summary>
    private static string Embed(OnnxGraphBuilder g, BartForConditionalGeneration model, string path, BartPositions positions, LayerNorm? norm, string ids, string start)
    {
        var config = model.Config;
        var x = g.Node("Gather", [SharedWeight(g, model), ids], $"{path}.embed_tokens");
        if (config.ScaleEmbedding) x = g.Node("Mul", [x, g.Scalar($"{path}.embed_scale", MathF.Sqrt(config.DModel))], $"{path}.embed_scaled");
        var length = SequenceLength(g, ids, path);
        var end = g.Node("Add", [start, length], $"{path}.position_end");
        var rows = g.Node("Range", [start, end, g.Scalar($"{path}.step", 1L)], $"{path}.positions");
        var table = positions.Learned != null
            ? g.Weight($"{path}.embed_positions.weight", positions.Learned.Weight)
            : g.Weight($"{path}.embed_positions.weight", BartPositions.Sinusoid(config.MaxPositionEmbeddings, config.DModel));
        // BART's learned table is read two rows down.
        if (positions.Learned != null) rows = g.Node("Add", [rows, g.Scalar($"{path}.position_offset", 2L)], $"{path}.position_rows");
        x = g.Node("Add", [x, g.Node("Gather", [table, rows], $"{path}.embed_positions")], $"{path}.embedded");
        return norm != null ? GptOnnx.LayerNorm(g, norm, $"{path}.layernorm_embedding", x) : x;
    }

    /// <summary>x + fc2(act(fc1(x))), layer-normed.</summary>
    private static string FeedForward(OnnxGraphBuilder g, Linear fc1, Linear fc2, LayerNorm norm, string activation, string path, string x)
    {
        var h = BertOnnx.Linear(g, fc1, $"{path}.fc1", x);
        h = Activate(g, activation, h, path);
        var y = BertOnnx.Linear(g, fc2, $"{path}.fc2", h);
        return GptOnnx.LayerNorm(g, norm, $"{path}.final_layer_norm", g.Node("Add", [x, y], $"{path}.ffn.residual"));
    }
}
