using System.Text.Json;
using Sapling.Autograd;
using Sapling.Models.Bart;
using Sapling.Models.T5;
using Sapling.Testing;
using Xunit.Abstractions;

namespace Sapling.Models.Tests;

/// <summary>
/// BART, Marian and T5 (v1.0's and v1.1's layouts) against PyTorch oracles written to Hugging Face's modeling_bart,
/// modeling_marian and modeling_t5 (tests/fixtures/make_bart_fixtures.py, make_t5_fixtures.py): the same random weights
/// under the same names, a right-padded source batch;
/// the encoder's states and the decoder's logits agree within 1e-4, whether the decoder sees the whole target at once
/// or one token per step through its cache.
/// </summary>
public sealed class Seq2SeqOracleTests(ITestOutputHelper output)
{
    public static TheoryData<string> Families => new() { "bart", "marian", "t5", "t5_gated" };

    /// <summary>The oracle's model with its weights, and the fixture's JSON.</summary>
    internal static (ISeq2SeqLM Model, JsonDocument Fixture) Load(string name)
    {
        var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Directory, $"{name}.json")));
        var root = doc.RootElement;
        var json = root.GetProperty("config").GetRawText();
        ISeq2SeqLM model = root.GetProperty("config").GetProperty("model_type").GetString() == T5Config.Type
            ? new T5ForConditionalGeneration(T5Config.FromJson(json, $"{name}.json config"))
            : new BartForConditionalGeneration(BartConfig.FromJson(json, $"{name}.json config"));
        model.Network.LoadStateDict(Fixtures.ReadWeights(root.GetProperty("weights")));
        model.Network.Eval();
        return (model, doc);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void EncoderStatesAndLogitsMatchPyTorch(string name)
    {
        var (model, doc) = Load(name);
        using var _ = doc;
        var root = doc.RootElement;
        using var noGrad = NoGrad.Enter();
        var encoded = model.Encode(Fixtures.ReadIdRows(root.GetProperty("input_ids")), Fixtures.ReadIdRows(root.GetProperty("attention_mask")));
        var logits = model.Decode(Fixtures.ReadIdRows(root.GetProperty("decoder_input_ids")), encoded);
        foreach (var (key, actual) in new[] { ("encoder_last_hidden_state", encoded.LastHiddenState), ("logits", logits) })
        {
            double worst = Fixtures.LargestDifference(Fixtures.ReadFloatTensor(root.GetProperty(key)), actual);
            output.WriteLine($"{name} {key}: largest difference from PyTorch {worst:E2}");
            Assert.True(worst <= 1e-4, $"{name} {key} differs from PyTorch by {worst:E3}");
        }
    }

    /// <summary>One decoder position per call through the cache gives the oracle's full-sequence logits, position by position.</summary>
    [Theory]
    [MemberData(nameof(Families))]
    public void CachedDecodingMatchesTheWholeTarget(string name)
    {
        var (model, doc) = Load(name);
        using var _ = doc;
        var root = doc.RootElement;
        using var noGrad = NoGrad.Enter();
        var encoded = model.Encode(Fixtures.ReadIdRows(root.GetProperty("input_ids")), Fixtures.ReadIdRows(root.GetProperty("attention_mask")));
        var target = Fixtures.ReadIdRows(root.GetProperty("decoder_input_ids"));
        var expected = Fixtures.ReadFloatTensor(root.GetProperty("logits"));
        int b = target.Shape[0], t = target.Shape[1];
        var cache = model.NewCache(b, 16);
        for (int i = 0; i < t; i++)
        {
            var step = model.Decode(target.Narrow(1, i, 1).Contiguous(), encoded, cache);                 // [B, 1, vocab]
            double worst = Fixtures.LargestDifference(expected.Narrow(1, i, 1).Contiguous(), step);
            Assert.True(worst <= 1e-4, $"{name}: position {i} through the cache differs from PyTorch by {worst:E3}");
        }
        Assert.Equal(t, cache.Length);
    }

    /// <summary>Saved as a folder (transformers' names, config.json), the model loads back through the registry as a
    /// sequence-to-sequence model with the same logits; Marian's file carries the sinusoidal tables transformers expects.</summary>
    [Theory]
    [MemberData(nameof(Families))]
    public void FolderRoundTripsThroughTheRegistry(string name)
    {
        var (model, doc) = Load(name);
        using var _ = doc;
        var root = doc.RootElement;
        var dir = Path.Combine(Path.GetTempPath(), $"sapling-{name}-{Guid.NewGuid():N}");
        try
        {
            model.Save(dir);
            Assert.Equal(ModelKind.Seq2SeqLM, ModelFolder.KindOf(dir));
            var names = IO.SafeTensors.LoadAll(Path.Combine(dir, "model.safetensors")).Select(e => e.Key).ToHashSet();
            bool t5 = name.StartsWith("t5", StringComparison.Ordinal);
            Assert.Contains(t5 ? "shared.weight" : "model.shared.weight", names);
            Assert.Equal(name == "t5_gated", names.Contains("lm_head.weight"));
            // BART's learned tables, or Marian's sinusoids written for transformers.
            Assert.Equal(!t5, names.Contains("model.decoder.embed_positions.weight"));
            var loaded = ModelRegistry.LoadSeq2SeqLM(dir, WeightStorage.Float32);
            using var noGrad = NoGrad.Enter();
            var encoded = loaded.Encode(Fixtures.ReadIdRows(root.GetProperty("input_ids")), Fixtures.ReadIdRows(root.GetProperty("attention_mask")));
            var logits = loaded.Decode(Fixtures.ReadIdRows(root.GetProperty("decoder_input_ids")), encoded);
            Assert.True(Fixtures.LargestDifference(Fixtures.ReadFloatTensor(root.GetProperty("logits")), logits) <= 1e-4);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>T5's relative-position buckets, both directions and long distances, as the oracle computes them.</summary>
    [Theory]
    [InlineData("t5")]
    [InlineData("t5_gated")]
    public void RelativePositionBucketsMatchPyTorch(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Directory, $"{name}.json")));
        var root = doc.RootElement;
        var config = T5Config.FromJson(root.GetProperty("config").GetRawText(), name);
        var relative = root.GetProperty("relative_positions").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        foreach (var (key, bidirectional) in new[] { ("buckets_bidirectional", true), ("buckets_causal", false) })
        {
            var expected = root.GetProperty(key).EnumerateArray().Select(v => v.GetInt32()).ToArray();
            var actual = relative.Select(r => T5Attention.RelativePositionBucket(r, bidirectional, config.RelativeAttentionNumBuckets, config.RelativeAttentionMaxDistance)).ToArray();
            Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [InlineData("{\"model_type\": \"t5\", \"feed_forward_proj\": \"gated-tanh\"}", "feed_forward_proj")]
    [InlineData("{\"model_type\": \"t5\", \"relative_attention_max_distance\": 8}", "relative_attention_max_distance")]
    [InlineData("{\"model_type\": \"t5\", \"eos_token_id\": [1, 2]}", "eos_token_id")]
    public void UnsupportedT5ConfigsAreRefusedByKey(string json, string key)
    {
        var error = Assert.Throws<InvalidDataException>(() => T5Config.FromJson(json, "config.json"));
        Assert.Contains(key, error.Message);
    }

    [Theory]
    [InlineData("\"normalize_before\": true", "normalize_before")]
    [InlineData("\"decoder_vocab_size\": 10", "decoder_vocab_size")]
    [InlineData("\"activation_function\": \"tanh\"", "activation_function")]
    [InlineData("\"encoder_layerdrop\": 0.1", "encoder_layerdrop")]
    [InlineData("\"bad_words_ids\": [[1, 2]]", "bad_words_ids[0]")]
    [InlineData("\"eos_token_id\": 99", "eos_token_id")]
    public void UnsupportedConfigsAreRefusedByKey(string entry, string key)
    {
        var json = $"{{\"model_type\": \"bart\", \"vocab_size\": 32, \"d_model\": 8, \"encoder_layers\": 1, \"decoder_layers\": 1, \"encoder_attention_heads\": 2, \"decoder_attention_heads\": 2, \"encoder_ffn_dim\": 8, \"decoder_ffn_dim\": 8, {entry}}}";
        var error = Assert.Throws<InvalidDataException>(() => BartConfig.FromJson(json, "config.json"));
        Assert.Contains(key, error.Message);
    }
}
