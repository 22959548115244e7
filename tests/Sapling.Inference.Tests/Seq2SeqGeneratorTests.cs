using System.Text.Json;
using Sapling.Models;
using Sapling.Models.Bart;
using Sapling.Models.T5;
using Sapling.Testing;
using Xunit.Abstractions;

namespace Sapling.Inference.Tests;

/// <summary>
/// Encoder-decoder generation against the PyTorch oracles (tests/fixtures/make_bart_fixtures.py, make_t5_fixtures.py), which follow
/// transformers' generate() and recomputes the whole decoder every step: greedy search and beam search (several
/// num_beams, length penalties, early stopping, no_repeat_ngram_size, min_length, and the configs' forced and banned
/// tokens) give the same ids for BART, Marian and T5, and beam search the same winning score.
/// </summary>
public sealed class Seq2SeqGeneratorTests(ITestOutputHelper output)
{
    public static TheoryData<string> Families => new() { "bart", "marian", "t5", "t5_gated" };

    private static (ISeq2SeqLM Model, JsonDocument Fixture) Load(string name)
    {
        var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Directory, $"{name}.json")));
        var root = doc.RootElement;
        var json = root.GetProperty("config").GetRawText();
        ISeq2SeqLM model = name.StartsWith("t5", StringComparison.Ordinal)
            ? new T5ForConditionalGeneration(T5Config.FromJson(json, name))
            : new BartForConditionalGeneration(BartConfig.FromJson(json, name));
        model.Network.LoadStateDict(Fixtures.ReadWeights(root.GetProperty("weights")));
        model.Network.Eval();
        return (model, doc);
    }

    private static int[][] Sources(JsonElement root)
    {
        var ids = root.GetProperty("input_ids").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        var mask = root.GetProperty("attention_mask").EnumerateArray().Select(r => r.EnumerateArray().Count(v => v.GetInt32() == 1)).ToArray();
        return ids.Select((row, i) => row[..mask[i]]).ToArray();
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void GreedyAndBeamSearchGiveTheOraclesIds(string name)
    {
        var (model, doc) = Load(name);
        using var _ = doc;
        var root = doc.RootElement;
        var sources = Sources(root);
        foreach (var generation in root.GetProperty("generations").EnumerateArray())
        {
            var s = generation.GetProperty("settings");
            var options = new Seq2SeqGenerationOptions
            {
                MaxNewTokens = s.GetProperty("max_new_tokens").GetInt32(),
                NumBeams = s.GetProperty("num_beams").GetInt32(),
                LengthPenalty = s.TryGetProperty("length_penalty", out var lp) ? lp.GetSingle() : 1f,
                EarlyStopping = s.TryGetProperty("early_stopping", out var es) && es.GetBoolean(),
                NoRepeatNgramSize = s.TryGetProperty("no_repeat_ngram_size", out var nr) ? nr.GetInt32() : 0,
                MinLength = s.TryGetProperty("min_length", out var ml) ? ml.GetInt32() : 0,
            };
            var results = Seq2SeqGenerator.Generate(model, sources, options);
            var expected = generation.GetProperty("ids").EnumerateArray().ToArray();
            for (int r = 0; r < sources.Length; r++)
            {
                // The oracle's rows start with the decoder's start token, and greedy rows carry pad after eos.
                var want = expected[r].EnumerateArray().Skip(1).Select(v => v.GetInt32()).ToList();
                int end = want.IndexOf(model.EosTokenId);
                if (end >= 0) want = want[..(end + 1)];
                output.WriteLine($"{name} {s.GetRawText()} row {r}: [{string.Join(", ", results[r].Tokens)}] score {results[r].Score}");
                Assert.Equal(want, results[r].Tokens);
                if (generation.GetProperty("scores").ValueKind == JsonValueKind.Array)
                    Assert.Equal(generation.GetProperty("scores")[r].GetDouble(), results[r].Score!.Value, 4);
            }
        }
    }

    /// <summary>sapling quantize on an encoder-decoder folder: every Linear int8 (the shared embedding and position tables
    /// float32), loaded back through the registry with logits within 5% of the float model's range, and refused when it
    /// is int8 already.</summary>
    [Theory]
    [MemberData(nameof(Families))]
    public void Int8FoldersStayCloseToTheFloatModel(string name)
    {
        var (model, doc) = Load(name);
        using var _ = doc;
        var root = Path.Combine(Path.GetTempPath(), $"sapling-q-{name}-{Guid.NewGuid():N}");
        try
        {
            model.Save(Path.Combine(root, "float"));
            var summary = Sapling.Inference.Compression.Quantizer.QuantizeFolder(Path.Combine(root, "float"), Path.Combine(root, "int8"));
            Assert.Contains(summary.Modules, m => m.EndsWith("fc1", StringComparison.Ordinal) || m.EndsWith("DenseReluDense.wo", StringComparison.Ordinal));
            Assert.DoesNotContain(summary.Modules, m => m.EndsWith("shared", StringComparison.Ordinal));
            var quantized = ModelRegistry.LoadSeq2SeqLM(Path.Combine(root, "int8"));
            var source = Tensor.FromArray(new long[] { 5, 9, 11, 3, 7, 2, 4, 6 }, 2, 4);
            var target = Tensor.FromArray(new long[] { model.DecoderStartTokenId, 8, 3, model.DecoderStartTokenId, 6, 5 }, 2, 3);
            using var noGrad = Autograd.NoGrad.Enter();
            var expected = model.Decode(target, model.Encode(source)).Contiguous().ToArray<float>();
            var actual = quantized.Decode(target, quantized.Encode(source)).Contiguous().ToArray<float>();
            float range = expected.Max() - expected.Min(), worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
            output.WriteLine($"{name}: int8 logits differ by at most {worst:F4} over a range of {range:F3}");
            Assert.True(worst <= 0.05f * range, $"{name}: int8 logits differ by {worst} over a range of {range}");
            Assert.Contains("already int8-quantized", Assert.Throws<InvalidDataException>(() => Sapling.Inference.Compression.Quantizer.QuantizeFolder(Path.Combine(root, "int8"), Path.Combine(root, "again"))).Message);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void BadRequestsAreRefusedByName()
    {
        var (model, doc) = Load("bart");
        using var _ = doc;
        Assert.Contains("source 1 is empty", Assert.Throws<ArgumentException>(() => Seq2SeqGenerator.Generate(model, [[0, 5, 2], []], new Seq2SeqGenerationOptions())).Message);
        Assert.Contains("outside the model's vocabulary", Assert.Throws<ArgumentException>(() => Seq2SeqGenerator.Generate(model, [[0, 500, 2]], new Seq2SeqGenerationOptions())).Message);
        Assert.Contains("more than the model's 24 source positions", Assert.Throws<ArgumentException>(() => Seq2SeqGenerator.Generate(model, [Enumerable.Repeat(5, 30).ToArray()], new Seq2SeqGenerationOptions())).Message);
        Assert.Contains("beam sampling", Assert.Throws<ArgumentException>(() => Seq2SeqGenerator.Generate(model, [[0, 5, 2]], new Seq2SeqGenerationOptions { NumBeams = 2, DoSample = true })).Message);
        Assert.Contains("repetition_penalty 1.2 with num_beams 2", Assert.Throws<ArgumentException>(() => Seq2SeqGenerator.Generate(model, [[0, 5, 2]], new Seq2SeqGenerationOptions { NumBeams = 2, RepetitionPenalty = 1.2f })).Message);
    }

    /// <summary>Sampling draws from the processed distribution: a fixed seed repeats itself, and forced tokens stay forced.</summary>
    [Fact]
    public void SamplingIsSeededAndKeepsForcedTokens()
    {
        var (model, doc) = Load("bart");
        using var _ = doc;
        var options = new Seq2SeqGenerationOptions { DoSample = true, Temperature = 1.5f, TopP = 0.9f, MaxNewTokens = 6, Seed = 7 };
        var first = Seq2SeqGenerator.Generate(model, [[0, 11, 37, 2], [0, 9, 2]], options);
        var second = Seq2SeqGenerator.Generate(model, [[0, 11, 37, 2], [0, 9, 2]], options);
        for (int r = 0; r < 2; r++)
        {
            Assert.Equal(first[r].Tokens, second[r].Tokens);
            Assert.Equal(model.GenerationDefaults.ForcedBosTokenId, first[r].Tokens[0]);
            Assert.Equal(model.EosTokenId, first[r].Tokens[^1]);
        }
    }
}
