using System.Text.Json;
using Sapling.Autograd;
using Sapling.Models.Bart;
using Sapling.Testing;

namespace Sapling.Export.Tests;

/// <summary>
/// BART, Marian and T5 (the PyTorch oracles' weights, tests/fixtures/make_bart_fixtures.py, make_t5_fixtures.py) exported as Optimum's three
/// graphs and run in ONNX Runtime: the encoder's states, the decoder's logits and present keys/values for a whole padded
/// target, and the with-past decoder's logits for the last position given the earlier positions' keys and values, all
/// equal Sapling's within 1e-4.
/// </summary>
public sealed class Seq2SeqOnnxExportTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-seq2seq-onnx-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static (Models.ISeq2SeqLM Model, Tensor Ids, Tensor Mask, Tensor Target) Load(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Directory, $"{name}.json")));
        var root = doc.RootElement;
        var json = root.GetProperty("config").GetRawText();
        Models.ISeq2SeqLM model = name.StartsWith("t5", StringComparison.Ordinal)
            ? new Models.T5.T5ForConditionalGeneration(Models.T5.T5Config.FromJson(json, name))
            : new BartForConditionalGeneration(BartConfig.FromJson(json, name));
        model.Network.LoadStateDict(Fixtures.ReadWeights(root.GetProperty("weights")));
        model.Network.Eval();
        return (model, Fixtures.ReadIdRows(root.GetProperty("input_ids")), Fixtures.ReadIdRows(root.GetProperty("attention_mask")), Fixtures.ReadIdRows(root.GetProperty("decoder_input_ids")));
    }

    private static void Near(Tensor expected, (int[] Dims, float[] Data) actual, string what)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Dims);
        var e = expected.Contiguous().ToArray<float>();
        double worst = 0;
        for (int i = 0; i < e.Length; i++) worst = Math.Max(worst, Math.Abs(e[i] - actual.Data[i]));
        Assert.True(worst <= 1e-4, $"{what} differs from ONNX Runtime by {worst:E3}");
    }

    [OnnxRuntimeTheory]
    [InlineData("bart")]
    [InlineData("marian")]
    [InlineData("t5")]
    [InlineData("t5_gated")]
    public void ThreeGraphsMatchSaplingInOnnxRuntime(string name)
    {
        var (model, ids, mask, target) = Load(name);
        var files = new Dictionary<string, string>();
        foreach (var (file, graph) in OnnxExporter.ExportSeq2Seq(model))
        {
            var path = Path.Combine(root, $"{name}-{file}");
            OnnxModelFile.Save(graph, path);
            files[file] = path;
        }
        if (OnnxChecker.MissingReason() == null)
        {
            var (code, output) = OnnxChecker.Check(files.Values);
            Assert.True(code == 0, output);
        }
        using var _ = NoGrad.Enter();
        var encoded = model.Encode(ids, mask);
        var logits = model.Decode(target, encoded);
        var encoder = OnnxRuntime.Run(files["encoder_model.onnx"], [new() { ["input_ids"] = ids, ["attention_mask"] = mask }])[0];
        Near(encoded.LastHiddenState, encoder["last_hidden_state"], "encoder states");

        var decoder = OnnxRuntime.Run(files["decoder_model.onnx"], [new() { ["input_ids"] = target, ["encoder_hidden_states"] = encoded.LastHiddenState, ["encoder_attention_mask"] = mask }])[0];
        Near(logits, decoder["logits"], "decoder logits");
        int t = target.Shape[1], layers = decoder.Keys.Count(k => k.EndsWith(".decoder.key", StringComparison.Ordinal));
        Assert.True(layers > 0);
        Assert.Equal(1 + 4 * layers, decoder.Count);

        // The first t − 1 positions as past, the last one through the with-past graph.
        var past = OnnxRuntime.Run(files["decoder_model.onnx"], [new() { ["input_ids"] = target.Narrow(1, 0, t - 1).Contiguous(), ["encoder_hidden_states"] = encoded.LastHiddenState, ["encoder_attention_mask"] = mask }])[0];
        var feed = new Dictionary<string, Tensor> { ["input_ids"] = target.Narrow(1, t - 1, 1).Contiguous(), ["encoder_attention_mask"] = mask };
        foreach (var (key, value) in past)
            if (key.StartsWith("present.", StringComparison.Ordinal)) feed["past_key_values." + key["present.".Length..]] = Tensor.FromArray(value.Data, value.Dims);
        var step = OnnxRuntime.Run(files["decoder_with_past_model.onnx"], [feed])[0];
        Near(logits.Narrow(1, t - 1, 1).Contiguous(), step["logits"], "with-past logits");
        Assert.Equal(t, step["present.0.decoder.key"].Dims[2]);
    }
}
