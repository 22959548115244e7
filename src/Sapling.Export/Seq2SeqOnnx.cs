using Sapling.Export.Onnx;
using Sapling.Models;
using Sapling.NN;

namespace Sapling.Export;

/// <summary>
/// What the encoder-decoder exporters (<see cref="BartOnnx"/>, <see cref="T5Onnx"/>) write alike: Optimum's input and
/// axis names, the padding and causal biases, attention split into heads and merged back, the feed-forward's
/// activation, the past's length, and the metadata a runtime needs to start generating. The Llama decoder's graph
/// (<see cref="LlamaOnnx"/>) takes its element types and batch and past axis names from here too.
/// </summary>
internal static class Seq2SeqOnnx
{
    public const TensorProto.Types.DataType Int64Type = TensorProto.Types.DataType.Int64;
    public const TensorProto.Types.DataType FloatType = TensorProto.Types.DataType.Float;
    public const string Batch = OnnxExporter.BatchAxis;
    public const string EncoderSequence = "encoder_sequence";
    public const string DecoderSequence = "decoder_sequence";
    public const string PastSequence = "past_sequence";

    public static Dictionary<string, string> Metadata(ISeq2SeqLM model) => new()
    {
        ["model_type"] = model.ModelType,
        ["decoder_start_token_id"] = model.DecoderStartTokenId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["eos_token_id"] = model.EosTokenId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["pad_token_id"] = model.PadTokenId.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The length of the past the with-past decoder is given (axis 2 of the first layer's keys).</summary>
    public static string PastLength(OnnxGraphBuilder g) =>
        g.Node("Gather", [g.Node("Shape", ["past_key_values.0.decoder.key"], "past_shape"), g.Scalar("past_axis", 2L)], "past_length", OnnxAttr.Int("axis", 0));

    /// <summary>The length of <paramref name="ids"/>' sequence axis, as a 0-d int64.</summary>
    public static string SequenceLength(OnnxGraphBuilder g, string ids, string path) =>
        g.Node("Gather", [g.Node("Shape", [ids], $"{path}.ids_shape"), g.Scalar($"{path}.one", 1L)], $"{path}.length", OnnxAttr.Int("axis", 0));

    /// <summary>gelu (erf), gelu_new (tanh), relu, or swish/silu of <paramref name="h"/>.</summary>
    public static string Activate(OnnxGraphBuilder g, string activation, string h, string path) => activation switch
    {
        "gelu" => GptOnnx.GeluErf(g, h, $"{path}.gelu"),
        "gelu_new" => GptOnnx.GeluTanh(g, h, $"{path}.gelu"),
        "relu" => g.Node("Relu", [h], $"{path}.relu"),
        _ => g.Node("Mul", [h, g.Node("Sigmoid", [h], $"{path}.sigmoid")], $"{path}.swish"),
    };

    /// <summary>(mask − 1)·1e9 as [B, 1, 1, S]: 0 for real keys, −1e9 at padding.</summary>
    public static string MaskBias(OnnxGraphBuilder g, string mask)
    {
        var maskFloat = g.Node("Cast", [mask], $"{mask}_float", OnnxAttr.Int("to", (long)FloatType));
        var bias = g.Node("Mul", [g.Node("Sub", [maskFloat, g.Scalar($"{mask}_one", 1f)], $"{mask}_minus_one"), g.Scalar($"{mask}_scale", 1e9f)], $"{mask}_bias_2d");
        return g.Node("Unsqueeze", [bias, g.Int64s($"{mask}_axes", [1, 2], 2)], $"{mask}_bias");
    }

    /// <summary>[T, T]: −1e9 where key j comes after query i, 0 elsewhere.</summary>
    public static string CausalBias(OnnxGraphBuilder g)
    {
        var length = g.Node("Gather", [g.Node("Shape", ["input_ids"], "causal.ids_shape"), g.Scalar("causal.one", 1L)], "causal.length", OnnxAttr.Int("axis", 0));
        var range = g.Node("Range", [g.Scalar("causal.zero", 0L), length, g.Scalar("causal.step", 1L)], "causal.range");
        var later = g.Node("Greater", [g.Node("Unsqueeze", [range, g.Int64s("causal.key_axis", [0], 1)], "causal.keys"), g.Node("Unsqueeze", [range, g.Int64s("causal.query_axis", [1], 1)], "causal.queries")], "causal.later");
        return g.Node("Mul", [g.Node("Cast", [later], "causal.later_float", OnnxAttr.Int("to", (long)FloatType)), g.Scalar("causal.scale", -1e9f)], "causal.bias");
    }

    /// <summary>A projection split into heads, [B, heads, T, head_dim]; queries scaled by head_dim^-0.5 as BART does.</summary>
    public static string Heads(OnnxGraphBuilder g, Linear projection, string path, string x, int heads, bool scaled = false)
    {
        var y = BertOnnx.Linear(g, projection, path, x);
        int headDim = projection.OutFeatures / heads;
        if (scaled) y = g.Node("Mul", [y, g.Scalar($"{path}.scale", 1f / MathF.Sqrt(headDim))], $"{path}.scaled");
        var split = g.Node("Reshape", [y, g.Int64s($"{path}.head_shape", [0, 0, heads, headDim], 4)], $"{path}.heads");
        return g.Node("Transpose", [split], $"{path}.heads_t", OnnxAttr.Ints("perm", 0, 2, 1, 3));
    }

    /// <summary>softmax(q·kᵀ + bias)·v, heads merged back ([B, T, width]) and projected out by <paramref name="outProj"/>.</summary>
    public static string Attend(OnnxGraphBuilder g, Linear outProj, string outPath, string path, string q, string k, string v, string? bias, int width)
    {
        var scores = g.Node("MatMul", [q, g.Node("Transpose", [k], $"{path}.keys_t", OnnxAttr.Ints("perm", 0, 1, 3, 2))], $"{path}.scores");
        if (bias != null) scores = g.Node("Add", [scores, bias], $"{path}.masked");
        var context = g.Node("MatMul", [g.Node("Softmax", [scores], $"{path}.weights", OnnxAttr.Int("axis", -1)), v], $"{path}.context");
        var merged = g.Node("Reshape", [g.Node("Transpose", [context], $"{path}.context_t", OnnxAttr.Ints("perm", 0, 2, 1, 3)), g.Int64s($"{path}.merged_shape", [0, 0, width], 3)], $"{path}.merged");
        return BertOnnx.Linear(g, outProj, outPath, merged);
    }
}
