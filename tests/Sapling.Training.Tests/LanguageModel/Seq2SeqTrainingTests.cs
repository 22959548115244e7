using System.Text.Json;
using Sapling.Inference;
using Sapling.Models;

namespace Sapling.Training.Tests;

/// <summary>
/// Sequence-to-sequence training on the one trainer (method seq2seq): a new Marian, BART or T5 learns a toy translation
/// (a word-for-word dictionary whose adjectives move behind their nouns) from a TSV corpus with held-out files, its test
/// report scores greedy and beam search with BLEU and chrF, and the saved folder translates through the registry; the
/// run resumes, and fine-tuning the folder (method seq2seq with model.path) starts from what it learnt.
/// </summary>
public sealed class Seq2SeqTrainingTests : IDisposable
{
    private static readonly (string En, string Es)[] Nouns = [("cat", "gato"), ("dog", "perro"), ("house", "casa"), ("tree", "arbol"), ("bird", "pajaro")];
    private static readonly (string En, string Es)[] Adjectives = [("red", "rojo"), ("big", "grande"), ("old", "viejo")];
    private static readonly (string En, string Es)[] Verbs = [("sees", "ve"), ("likes", "quiere"), ("has", "tiene")];
    private readonly string root = Directory.CreateTempSubdirectory("sapling-seq2seq-").FullName;

    public void Dispose() => Directory.Delete(root, true);

    /// <summary>"the [adj] noun verb the [adj] noun" → "el noun [adj] verb el noun [adj]".</summary>
    private static List<(string Source, string Target)> Pairs(int count, int seed)
    {
        var g = new Random(seed);
        var pairs = new List<(string, string)>();
        (string, string) Phrase()
        {
            var noun = Nouns[g.Next(Nouns.Length)];
            if (g.Next(2) == 0) return ($"the {noun.En}", $"el {noun.Es}");
            var adjective = Adjectives[g.Next(Adjectives.Length)];
            return ($"the {adjective.En} {noun.En}", $"el {noun.Es} {adjective.Es}");
        }
        for (int i = 0; i < count; i++)
        {
            var (s1, t1) = Phrase();
            var (s2, t2) = Phrase();
            var verb = Verbs[g.Next(Verbs.Length)];
            pairs.Add(($"{s1} {verb.En} {s2}", $"{t1} {verb.Es} {t2}"));
        }
        return pairs;
    }

    private string Write(string name, IEnumerable<(string Source, string Target)> pairs)
    {
        var path = Path.Combine(root, name);
        File.WriteAllLines(path, pairs.Select(p => $"{p.Source}\t{p.Target}"));
        return path;
    }

    private LmOptions Options(string architecture, int steps) => LanguageModelTests.Tiny(steps) with
    {
        Method = "seq2seq", Architecture = architecture, Corpus = Write("train.tsv", Pairs(600, 1)),
        ValidationCorpus = Write("valid.tsv", Pairs(40, 2)), TestCorpus = Write("test.tsv", Pairs(40, 3)),
        Tokenizer = "bpe", VocabSize = 400, Width = 48, Layers = 2, Heads = 4, Dropout = 0, BatchSize = 16, LearningRate = 3e-3, WarmupSteps = 20,
        EvalInterval = 100, WeightDecay = 0, MaxSourceLength = 64, MaxTargetLength = 64, NumBeams = 3, Seq2SeqEvalSamples = 10, LabelSmoothing = 0.1f,
    };

    [Theory]
    [InlineData("marian")]
    [InlineData("t5")]
    public void NewEncoderDecoderLearnsToTranslateAndItsFolderTranslates(string architecture)
    {
        var result = new LmTrainer(Options(architecture, 300), new LanguageModelTests.Quiet()).Run(Path.Combine(root, "run"));
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(result.RunDirectory, "results.json"))))
        {
            var test = json.RootElement.GetProperty("test");
            Assert.True(test.GetProperty("greedy_bleu").GetDouble() >= 80, test.ToString());
            Assert.True(test.GetProperty("beam_bleu").GetDouble() >= 80, test.ToString());
            Assert.True(test.GetProperty("beam_chrf").GetDouble() >= 80, test.ToString());
            Assert.Equal(3, test.GetProperty("num_beams").GetInt32());
        }
        var predictions = File.ReadAllLines(Path.Combine(result.RunDirectory, "test_predictions.jsonl"));
        Assert.Equal(40, predictions.Length);
        Assert.Contains("\"beam\"", predictions[0]);
        Assert.Equal(ModelKind.Seq2SeqLM, ModelFolder.KindOf(result.ModelDirectory));
        var translator = new Seq2SeqTranslator(ModelRegistry.LoadSeq2SeqLM(result.ModelDirectory), ModelRegistry.LoadTokenizer(result.ModelDirectory)!);
        var output = translator.Translate(["the big dog likes the red bird", "the cat sees the tree"], new Seq2SeqGenerationOptions { NumBeams = 2, MaxNewTokens = 64 });
        Assert.Equal("el perro grande quiere el pajaro rojo", output[0]);
        Assert.Equal("el gato ve el arbol", output[1]);
    }

    /// <summary>Fine-tuning the folder (method seq2seq, model.path) starts where training ended: its validation loss before
    /// fine-tuning is the trained model's (here a BART, whose learned positions and embedding norm round-trip too).</summary>
    [Fact]
    public void FolderFineTunesFromWhereItWas()
    {
        var trained = new LmTrainer(Options("bart", 300), new LanguageModelTests.Quiet()).Run(Path.Combine(root, "base"));
        var options = Options("gpt2", 20) with { InitFrom = trained.ModelDirectory, LearningRate = 1e-4 };
        var tuned = new LmTrainer(options, new LanguageModelTests.Quiet()).Run(Path.Combine(root, "tuned"));
        Assert.True(tuned.BaseValidationLoss <= trained.ValidationLoss + 1e-6, $"fine-tuning started at {tuned.BaseValidationLoss}, training ended at {trained.ValidationLoss}");
    }

    /// <summary>LoRA on an encoder-decoder (seq2seq.tuning lora): a PEFT SEQ_2_SEQ_LM adapter on the attention's query and
    /// value projections (T5's q and v), which loads back onto the base, and a merged model folder that translates as the
    /// adapted model does.</summary>
    [Fact]
    public void LoraLeavesASeq2SeqLmAdapterAndAMergedFolder()
    {
        var trained = new LmTrainer(Options("t5", 150), new LanguageModelTests.Quiet()).Run(Path.Combine(root, "t5"));
        var options = Options("gpt2", 60) with { InitFrom = trained.ModelDirectory, Tuning = "lora", LearningRate = 1e-2, Lora = new NN.LoraConfig { Rank = 4, Alpha = 8, TargetModules = [] } };
        var tuned = new LmTrainer(options, new LanguageModelTests.Quiet()).Run(Path.Combine(root, "lora"));
        Assert.NotNull(tuned.AdapterDirectory);
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(tuned.AdapterDirectory!, "adapter_config.json"))))
        {
            Assert.Equal("SEQ_2_SEQ_LM", config.RootElement.GetProperty("task_type").GetString());
            Assert.Equal(["q", "v"], config.RootElement.GetProperty("target_modules").EnumerateArray().Select(t => t.GetString()!).ToArray());
        }
        var names = IO.SafeTensors.LoadAll(Path.Combine(tuned.AdapterDirectory!, "adapter_model.safetensors")).Keys.ToArray();
        Assert.Contains("base_model.model.encoder.block.0.layer.0.SelfAttention.q.lora_A.weight", names);
        Assert.Contains("base_model.model.decoder.block.1.layer.1.EncDecAttention.v.lora_B.weight", names);
        var adapted = Models.Adapters.PeftAdapter.LoadSeq2SeqLM(trained.ModelDirectory, tuned.AdapterDirectory!);
        var merged = ModelRegistry.LoadSeq2SeqLM(tuned.ModelDirectory);
        var tokenizer = ModelRegistry.LoadTokenizer(tuned.ModelDirectory)!;
        var sources = new[] { "the big dog likes the red bird", "the cat sees the tree", "the old house has the bird" };
        var options2 = new Seq2SeqGenerationOptions { MaxNewTokens = 40 };
        Assert.Equal(new Seq2SeqTranslator(adapted, tokenizer).Translate(sources, options2), new Seq2SeqTranslator(merged, tokenizer).Translate(sources, options2));
    }

    [Fact]
    public void MisconfiguredRunsAreRefusedByKey()
    {
        Assert.Contains("data.validation_corpus and data.test_corpus go together", Assert.Throws<ArgumentException>(() => (Options("marian", 1) with { TestCorpus = null }).Validate()).Message);
        Assert.Contains("model.architecture marian is an encoder-decoder", Assert.Throws<ArgumentException>(() => (Options("marian", 1) with { Method = "pretrain" }).Validate()).Message);
        Assert.Contains("seq2seq.tuning lora adapts a trained encoder-decoder", Assert.Throws<ArgumentException>(() => (Options("marian", 1) with { Tuning = "lora" }).Validate()).Message);
        Assert.Contains("seq2seq.tuning must be full or lora", Assert.Throws<ArgumentException>(() => (Options("marian", 1) with { Tuning = "prompt" }).Validate()).Message);
        Assert.Contains("seq2seq.label_smoothing", Assert.Throws<ArgumentException>(() => (Options("marian", 1) with { LabelSmoothing = 1f }).Validate()).Message);
    }
}
