using System.Text.Json;
using Sapling.Inference;
using Sapling.Models;
using Sapling.Training.LanguageModel.Objectives;
using Sapling.Training.LanguageModel;

namespace Sapling.Training.Tests.LanguageModel;

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
        Method = TrainingMethod.Seq2Seq, Architecture = architecture, Corpus = Write("train.tsv", Pairs(600, 1)),
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

    /// <summary>
    /// A folder laid out as opus-mt's are (source.spm, target.spm and vocab.json instead of tokenizer.json) fine-tunes
    /// with its sources cut by source.spm and its targets by target.spm, keeps those files, and translates.
    /// </summary>
    [Fact]
    public void OpusMtShapedFolderFineTunesWithItsSentencePieceFiles()
    {
        var folder = Path.Combine(root, "opus-mt");
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(Path.Combine(Testing.Fixtures.Directory, "sentencepiece", "marian")))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        var tokenizer = Assert.IsType<Data.Text.MarianTokenizer>(ModelRegistry.LoadTokenizer(folder));
        Seq2SeqModels.New(Options("marian", 1), tokenizer, new Generator(5)).Save(folder);
        var tuned = new LmTrainer(Options("gpt2", 600) with { InitFrom = folder }, new LanguageModelTests.Quiet()).Run(Path.Combine(root, "tuned"));
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(tuned.RunDirectory, "results.json"))))
        {
            var test = json.RootElement.GetProperty("test");
            Assert.True(test.GetProperty("greedy_bleu").GetDouble() >= 80, test.ToString());
        }
        foreach (var name in new[] { "source.spm", "target.spm", "vocab.json" }) Assert.True(File.Exists(Path.Combine(tuned.ModelDirectory, name)), name);
        Assert.False(File.Exists(Path.Combine(tuned.ModelDirectory, "tokenizer.json")));
        var translator = new Seq2SeqTranslator(ModelRegistry.LoadSeq2SeqLM(tuned.ModelDirectory), ModelRegistry.LoadTokenizer(tuned.ModelDirectory)!);
        Assert.Equal("el gato ve el arbol", translator.Translate(["the cat sees the tree"], new Seq2SeqGenerationOptions { MaxNewTokens = 64 })[0]);
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
        var options = Options("gpt2", 60) with { InitFrom = trained.ModelDirectory, Tuning = TrainingMethod.Lora, LearningRate = 1e-2, Lora = new NN.Adapters.LoraConfig { Rank = 4, Alpha = 8, TargetModules = [] } };
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

    /// <summary>transformers' random_spans_noise_mask: 15% noise in round(noise / 3) spans, kept tokens first; the input
    /// and target interleave back into the window, sentinels in order.</summary>
    [Theory]
    [InlineData(127, 1UL)]
    [InlineData(64, 2UL)]
    [InlineData(10, 3UL)]
    public void SpanCorruptionCutsSpansAsT5Does(int length, ulong seed)
    {
        var mask = SpanCorruptionObjective.NoiseMask(length, 0.15, 3, new Generator(seed));
        int noise = mask.Count(m => m);
        Assert.Equal(Math.Clamp((int)Math.Round(length * 0.15, MidpointRounding.ToEven), 1, length - 1), noise);
        Assert.False(mask[0]);
        int spans = Enumerable.Range(0, length).Count(i => mask[i] && (i == 0 || !mask[i - 1]));
        Assert.Equal(Math.Max(1, (int)Math.Round(Math.Min(noise, length - noise) / 3.0, MidpointRounding.ToEven)), spans);
        var tokens = Enumerable.Range(1000, length).ToArray();
        int[] sentinels = [99, 98, 97, 96, 95, 94, 93, 92, 91, 90, 89, 88, 87, 86, 85, 84, 83, 82, 81, 80];
        var (source, target) = SpanCorruptionObjective.Corrupt(tokens, mask, sentinels);
        Assert.Equal(length - noise + spans, source.Length);
        Assert.Equal(99, target[0]);
        // Putting each span back behind its sentinel gives the window again.
        var restored = new List<int>();
        var spansBySentinel = new Dictionary<int, List<int>>();
        int current = -1;
        foreach (int t in target)
        {
            if (t < 1000) spansBySentinel[current = t] = [];
            else spansBySentinel[current].Add(t);
        }
        foreach (int t in source) restored.AddRange(t < 1000 ? spansBySentinel[t] : [t]);
        Assert.Equal(tokens, restored);
    }

    /// <summary>method pretrain of a new <paramref name="architecture"/> on the toy sources as raw text (each line through
    /// <paramref name="line"/>): the run and its first validation loss.</summary>
    private (LmResult Result, double FirstValidationLoss) Pretrain(string architecture, string run, Func<string, string> line)
    {
        var corpus = Path.Combine(root, "corpus.txt");
        File.WriteAllLines(corpus, Pairs(400, 5).Select(p => line(p.Source)));
        var options = LanguageModelTests.Tiny(200) with
        {
            Architecture = architecture, Corpus = corpus, CorpusFormat = "lines", Tokenizer = "bpe", VocabSize = 300, Context = 48, Width = 32, Layers = 2, Heads = 4,
            Dropout = 0, BatchSize = 16, LearningRate = 3e-3, WarmupSteps = 20, EvalInterval = 50, EvalBatches = 4, WeightDecay = 0, LabelSmoothing = 0,
        };
        var result = new LmTrainer(options, new LanguageModelTests.Quiet()).Run(Path.Combine(root, run));
        var first = JsonDocument.Parse(File.ReadLines(Path.Combine(result.RunDirectory, "metrics.jsonl")).First(l => l.Contains("val_loss"))).RootElement.GetProperty("val_loss").GetDouble();
        return (result, first);
    }

    /// <summary>method pretrain with model.architecture t5: span corruption on raw text lowers the validation loss.</summary>
    [Fact]
    public void T5PretrainsBySpanCorruption()
    {
        var (result, first) = Pretrain("t5", "span", line => line);
        Assert.True(result.ValidationLoss < first - 0.5, $"validation loss {first} → {result.ValidationLoss}");
        var tokenizer = ModelRegistry.LoadTokenizer(result.ModelDirectory)!;
        Assert.Equal(tokenizer.VocabSize - 1, tokenizer.IdOf("<extra_id_0>"));
        Assert.Equal(ModelKind.Seq2SeqLM, ModelFolder.KindOf(result.ModelDirectory));
    }

    /// <summary>
    /// BART's text infilling: about 30% of the tokens are covered by Poisson(3.5) spans, each run of covered tokens is
    /// one mask (or a random token one time in ten), the kept tokens stay in order; sentence permutation keeps every
    /// sentence whole and only reorders them.
    /// </summary>
    [Theory]
    [InlineData(127, 1UL)]
    [InlineData(64, 2UL)]
    [InlineData(12, 3UL)]
    public void DenoisingMasksSpansAndShufflesSentencesAsBartDoes(int length, ulong seed)
    {
        // Window tokens from 10,000 on; masks and random replacements (drawn from a 5,000-token vocabulary) below.
        const int mask = 7, vocab = 5000, first = 10_000;
        var tokens = Enumerable.Range(first, length).ToArray();
        double keptShare = 0;
        int masks = 0, randoms = 0, trials = 200;
        var g = new Generator(seed);
        for (int trial = 0; trial < trials; trial++)
        {
            var source = DenoisingObjective.Infill(tokens, 0.3, 3.5, 0.1, mask, vocab, g);
            // The kept tokens are the window's own, in order; everything else is a mask or a random replacement.
            var kept = source.Where(t => t >= first).ToArray();
            Assert.True(kept.Zip(kept.Skip(1)).All(p => p.First < p.Second), "kept tokens stay in order");
            Assert.True(source.Length <= length + (int)Math.Ceiling(length * 0.3), $"source of {source.Length} tokens for a window of {length}");
            keptShare += (double)kept.Length / length;
            masks += source.Count(t => t == mask);
            randoms += source.Count(t => t != mask && t < first);
        }
        keptShare /= trials;
        Assert.True(keptShare is > 0.55 and < 0.75, $"kept {keptShare:P1} of the tokens (about 70% expected)");
        double randomShare = (double)randoms / (masks + randoms);
        Assert.True(randomShare is > 0.03 and < 0.2, $"{randomShare:P1} of the replacements are random tokens (10% expected)");

        // Sentences end at every third token (and at the window's end): permuting keeps each whole and uses every token once.
        var ends = new bool[first + length];
        for (int t = first + 2; t < first + length; t += 3) ends[t] = true;
        var shuffled = DenoisingObjective.PermuteSentences(tokens, ends, new Generator(seed));
        Assert.Equal(tokens.Order(), shuffled.Order());
        for (int i = 0; i < shuffled.Length; i++)
            if (i + 1 < shuffled.Length && !ends[shuffled[i]] && shuffled[i] != tokens[^1]) Assert.Equal(shuffled[i] + 1, shuffled[i + 1]);
        if (length >= 12) Assert.NotEqual(tokens, shuffled);
    }

    /// <summary>method pretrain with model.architecture bart: denoising on raw text lowers the validation loss, and the
    /// folder's tokenizer has &lt;mask&gt;.</summary>
    [Fact]
    public void BartPretrainsByDenoising()
    {
        var (result, first) = Pretrain("bart", "denoise", line => line + ".");
        Assert.True(result.ValidationLoss < first - 0.5, $"validation loss {first} → {result.ValidationLoss}");
        var tokenizer = ModelRegistry.LoadTokenizer(result.ModelDirectory)!;
        Assert.True(tokenizer.IdOf(DenoisingObjective.MaskToken) >= 0);
        Assert.Equal(ModelKind.Seq2SeqLM, ModelFolder.KindOf(result.ModelDirectory));
        Assert.Equal("bart", ModelRegistry.ModelTypeOf(result.ModelDirectory));
    }

    [Fact]
    public void MisconfiguredRunsAreRefusedByKey()
    {
        Assert.Contains("ValidationCorpus and TestCorpus go together", Assert.Throws<ArgumentException>(() => (Options("marian", 1) with { TestCorpus = null }).Validate()).Message);
        Assert.Contains("bart and marian by denoising", Assert.Throws<ArgumentException>(() => (Options("bart", 1) with { Method = TrainingMethod.Sft, ValidationCorpus = null, TestCorpus = null }).Validate()).Message);
        Assert.Contains("MaskRatio must be in (0, 1)", Assert.Throws<ArgumentException>(() => (Options("bart", 1) with { Method = TrainingMethod.Pretrain, ValidationCorpus = null, TestCorpus = null, MaskRatio = 1 }).Validate()).Message);
        Assert.Contains("Tuning lora adapts a trained encoder-decoder", Assert.Throws<ArgumentException>(() => (Options("marian", 1) with { Tuning = TrainingMethod.Lora }).Validate()).Message);
        Assert.Contains("Tuning must be full or lora", Assert.Throws<ArgumentException>(() => (Options("marian", 1) with { Tuning = TrainingMethod.Prompt }).Validate()).Message);
        Assert.Contains("LabelSmoothing", Assert.Throws<ArgumentException>(() => (Options("marian", 1) with { LabelSmoothing = 1f }).Validate()).Message);
    }
}
