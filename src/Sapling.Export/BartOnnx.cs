using Sapling.Export.Onnx;
using Sapling.Models.Bart;
using Sapling.NN;

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
    private const TensorProto.Types.DataType Int64 = TensorProto.Types.DataType.Int64;
    private const TensorProto.Types.DataType Float = TensorProto.Types.DataType.Float;
    private const string Batch = OnnxExporter.BatchAxis;
    private const string EncoderSequence = "encoder_sequence";
    private const string DecoderSequence = "decoder_sequence";
    private const string PastSequence = "past_sequence";

    public static ModelProto Encoder(BartForConditionalGeneration model)
    {
        var config = RequirePlain(model);
        var g = new OnnxGraphBuilder($"sapling_{config.ModelType}_encoder");
        g.Input("input_ids", Int64, Batch, EncoderSequence);
        g.Input("attention_mask", Int64, Batch, EncoderSequence);
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
        g.Output(x, "last_hidden_state", Float, Batch, EncoderSequence, config.DModel);
        return OnnxModelFile.Create(g.Graph, $"Sapling {config.ModelType} encoder. Inputs: token ids and attention mask (1 real, 0 padding), at most {config.MaxPositionEmbeddings} tokens.", Metadata(config));
    }

    /// <param name="withPast">The later steps' graph: one new token per row after the keys and values it is given.</param>
    public static ModelProto Decoder(BartForConditionalGeneration model, bool withPast)
    {
        var config = RequirePlain(model);
        int heads = config.DecoderAttentionHeads, headDim = config.DecoderHeadDim;
        var g = new OnnxGraphBuilder($"sapling_{config.ModelType}_decoder{(withPast ? "_with_past" : "")}");
        var targetAxis = withPast ? (OnnxDim)1 : DecoderSequence;
        g.Input("input_ids", Int64, Batch, targetAxis);
        if (!withPast) g.Input("encoder_hidden_states", Float, Batch, EncoderSequence, config.DModel);
        g.Input("encoder_attention_mask", Int64, Batch, EncoderSequence);
        var layers = model.Model.Decoder.Layers;
        if (withPast)
            for (int i = 0; i < layers.Count; i++)
            {
                g.Input($"past_key_values.{i}.decoder.key", Float, Batch, heads, PastSequence, headDim);
                g.Input($"past_key_values.{i}.decoder.value", Float, Batch, heads, PastSequence, headDim);
                g.Input($"past_key_values.{i}.encoder.key", Float, Batch, heads, EncoderSequence, headDim);
                g.Input($"past_key_values.{i}.encoder.value", Float, Batch, heads, EncoderSequence, headDim);
            }
        // The first new position: the past's length (0 without one).
        var start = withPast ? g.Node("Gather", [g.Node("Shape", ["past_key_values.0.decoder.key"], "past_shape"), g.Scalar("past_axis", 2L)], "past_length", OnnxAttr.Int("axis", 0)) : g.Scalar("position_start", 0L);
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
        g.Output(logits, "logits", Float, Batch, targetAxis, config.VocabSize);
        foreach (var (value, name, length) in presents) g.Output(value, name, Float, Batch, heads, length, headDim);
        return OnnxModelFile.Create(g.Graph, $"Sapling {config.ModelType} decoder{(withPast ? " with past keys and values (one new token per row)" : "")}. Start each target from decoder_start_token_id {config.DecoderStartTokenId}.", Metadata(config));
    }

    private static BartConfig RequirePlain(BartForConditionalGeneration model)
    {
        foreach (var (name, m) in model.NamedModules())
            if (m is LinearLayer layer) ClassifierOnnx.RequireNoAdapter(layer, name);
        return model.Config;
    }

    private static Dictionary<string, string> Metadata(BartConfig config) => new()
    {
        ["model_type"] = config.ModelType,
        ["decoder_start_token_id"] = config.DecoderStartTokenId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["eos_token_id"] = config.EosTokenId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["pad_token_id"] = config.PadTokenId.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string SharedWeight(OnnxGraphBuilder g, BartForConditionalGeneration model) =>
        g.Graph.Initializer.Any(t => t.Name == "model.shared.weight") ? "model.shared.weight" : g.Weight("model.shared.weight", model.Model.Shared.Weight);

    /// <summary>Token embeddings (scaled), positions from <paramref name="start"/>, BART's embedding norm: [B, T, d].</summary>
    private static string Embed(OnnxGraphBuilder g, BartForConditionalGeneration model, string path, BartPositions positions, LayerNorm? norm, string ids, string start)
    {
        var config = model.Config;
        var x = g.Node("Gather", [SharedWeight(g, model), ids], $"{path}.embed_tokens");
        if (config.ScaleEmbedding) x = g.Node("Mul", [x, g.Scalar($"{path}.embed_scale", MathF.Sqrt(config.DModel))], $"{path}.embed_scaled");
        var length = g.Node("Gather", [g.Node("Shape", [ids], $"{path}.ids_shape"), g.Scalar($"{path}.one", 1L)], $"{path}.length", OnnxAttr.Int("axis", 0));
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

    /// <summary>(mask − 1)·1e9 as [B, 1, 1, S]: 0 for real keys, −1e9 at padding.</summary>
    internal static string MaskBias(OnnxGraphBuilder g, string mask)
    {
        var maskFloat = g.Node("Cast", [mask], $"{mask}_float", OnnxAttr.Int("to", (long)Float));
        var bias = g.Node("Mul", [g.Node("Sub", [maskFloat, g.Scalar($"{mask}_one", 1f)], $"{mask}_minus_one"), g.Scalar($"{mask}_scale", 1e9f)], $"{mask}_bias_2d");
        return g.Node("Unsqueeze", [bias, g.Int64s($"{mask}_axes", [1, 2], 2)], $"{mask}_bias");
    }

    /// <summary>[T, T]: −1e9 where key j comes after query i, 0 elsewhere.</summary>
    internal static string CausalBias(OnnxGraphBuilder g)
    {
        var length = g.Node("Gather", [g.Node("Shape", ["input_ids"], "causal.ids_shape"), g.Scalar("causal.one", 1L)], "causal.length", OnnxAttr.Int("axis", 0));
        var range = g.Node("Range", [g.Scalar("causal.zero", 0L), length, g.Scalar("causal.step", 1L)], "causal.range");
        var later = g.Node("Greater", [g.Node("Unsqueeze", [range, g.Int64s("causal.key_axis", [0], 1)], "causal.keys"), g.Node("Unsqueeze", [range, g.Int64s("causal.query_axis", [1], 1)], "causal.queries")], "causal.later");
        return g.Node("Mul", [g.Node("Cast", [later], "causal.later_float", OnnxAttr.Int("to", (long)Float)), g.Scalar("causal.scale", -1e9f)], "causal.bias");
    }

    /// <summary>A projection split into heads, [B, heads, T, head_dim]; queries scaled by head_dim^-0.5 as BART does.</summary>
    internal static string Heads(OnnxGraphBuilder g, Linear projection, string path, string x, int heads, bool scaled = false)
    {
        var y = BertOnnx.Linear(g, projection, path, x);
        int headDim = projection.OutFeatures / heads;
        if (scaled) y = g.Node("Mul", [y, g.Scalar($"{path}.scale", 1f / MathF.Sqrt(headDim))], $"{path}.scaled");
        var split = g.Node("Reshape", [y, g.Int64s($"{path}.head_shape", [0, 0, heads, headDim], 4)], $"{path}.heads");
        return g.Node("Transpose", [split], $"{path}.heads_t", OnnxAttr.Ints("perm", 0, 2, 1, 3));
    }

    /// <summary>softmax(q·kᵀ + bias)·v, heads merged back ([B, T, width]) and projected out by <paramref name="outProj"/>.</summary>
    internal static string Attend(OnnxGraphBuilder g, Linear outProj, string outPath, string path, string q, string k, string v, string? bias, int width)
    {
        var scores = g.Node("MatMul", [q, g.Node("Transpose", [k], $"{path}.keys_t", OnnxAttr.Ints("perm", 0, 1, 3, 2))], $"{path}.scores");
        if (bias != null) scores = g.Node("Add", [scores, bias], $"{path}.masked");
        var context = g.Node("MatMul", [g.Node("Softmax", [scores], $"{path}.weights", OnnxAttr.Int("axis", -1)), v], $"{path}.context");
        var merged = g.Node("Reshape", [g.Node("Transpose", [context], $"{path}.context_t", OnnxAttr.Ints("perm", 0, 2, 1, 3)), g.Int64s($"{path}.merged_shape", [0, 0, width], 3)], $"{path}.merged");
        return BertOnnx.Linear(g, outProj, outPath, merged);
    }

    /// <summary>x + fc2(act(fc1(x))), layer-normed.</summary>
    private static string FeedForward(OnnxGraphBuilder g, Linear fc1, Linear fc2, LayerNorm norm, string activation, string path, string x)
    {
        var h = BertOnnx.Linear(g, fc1, $"{path}.fc1", x);
        h = activation switch
        {
            "gelu" => GptOnnx.GeluErf(g, h, $"{path}.gelu"),
            "gelu_new" => GptOnnx.GeluTanh(g, h, $"{path}.gelu"),
            "relu" => g.Node("Relu", [h], $"{path}.relu"),
            _ => g.Node("Mul", [h, g.Node("Sigmoid", [h], $"{path}.sigmoid")], $"{path}.swish"),
        };
        var y = BertOnnx.Linear(g, fc2, $"{path}.fc2", h);
        return GptOnnx.LayerNorm(g, norm, $"{path}.final_layer_norm", g.Node("Add", [x, y], $"{path}.ffn.residual"));
    }
}
