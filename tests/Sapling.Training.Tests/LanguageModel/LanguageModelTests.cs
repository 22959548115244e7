using Sapling.Inference;
using Sapling.IO;
using Sapling.Models.Gpt;
using Sapling.Training.LanguageModel;
using Sapling.Training.Progress;
using Sapling.Training.Guards;

namespace Sapling.Training.Tests.LanguageModel;

public sealed class LanguageModelTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-lm-").FullName;

    public void Dispose() => Directory.Delete(root, true);

    internal static string TangPath => Path.GetFullPath(Path.Combine(Testing.Fixtures.Directory, "..", "..", "data", "zh-tang300.txt"));

    internal static LmOptions Tiny(int steps) => new()
    {
        Corpus = TangPath, Context = 16, Layers = 1, Heads = 2, Width = 16, Steps = steps, BatchSize = 4,
        WarmupSteps = 2, EvalInterval = 3, EvalBatches = 2, SampleTokens = 8, Seed = 1,
    };

    internal sealed class Quiet(long crashAt = long.MaxValue) : IProgressReporter
    {
        public void EpochStarted(int epoch, int totalEpochs, int batches) { }
        public void BatchFinished(int batch, int batches, double meanLoss, double samplesPerSecond)
        {
            if (batch == crashAt) throw new OperationCanceledException("simulated crash");
        }
        public void EpochFinished(EpochRecord record, TimeSpan eta) { }
        public void Warning(string message) { }
        public void Message(string message) { }
    }

    /// <summary>Documents where each character determines the next: a model that learns anything beats unigram statistics.</summary>
    private string PatternCorpus()
    {
        const string letters = "ABCDEFGHIJ";
        var docs = Enumerable.Range(0, 60).Select(i => string.Concat(Enumerable.Repeat(letters[(i % 10)..] + letters[..(i % 10)], 3)));
        var path = Path.Combine(root, "pattern.txt");
        File.WriteAllText(path, string.Join("\n%\n", docs) + "\n");
        return path;
    }

    [Fact]
    public void TrainingBeatsTheUnigramBaselineAndWritesAModelFolder()
    {
        var options = Tiny(60) with { Corpus = PatternCorpus(), Width = 32, Heads = 4, EvalInterval = 30, LearningRate = 1e-2 };
        var result = new LmTrainer(options, new Quiet()).Run(Path.Combine(root, "run"));
        Assert.True(result.ValidationLoss < result.UnigramBaselineLoss, $"validation loss {result.ValidationLoss} should be below the unigram baseline {result.UnigramBaselineLoss}");
        foreach (var file in new[] { "model/config.json", "model/model.safetensors", "model/tokenizer.json", "metrics.jsonl", "curves.svg", "results.json" })
            Assert.True(File.Exists(Path.Combine(result.RunDirectory, file)), $"missing {file}");
        var model = GptFolder.Load(result.ModelDirectory);
        var tokenizer = Data.Text.CharTokenizer.Load(Path.Combine(result.ModelDirectory, "tokenizer.json"));
        Assert.Equal(tokenizer.VocabSize, model.Config.VocabSize);
    }

    [Fact]
    public void DivergenceBeforeAnyEvaluationSavesNoModel()
    {
        var dir = Path.Combine(root, "diverged");
        var options = Tiny(9) with { LearningRate = 1e30, GradClip = 1e30f };
        var error = Assert.Throws<TrainingDivergedException>(() => new LmTrainer(options, new Quiet()).Run(dir));
        Assert.Contains("no model was saved", error.Message);
        Assert.False(Directory.Exists(Path.Combine(dir, "model")), "a diverged run must not leave a model folder");
        var results = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "results.json"))).RootElement;
        Assert.True(results.GetProperty("diverged").GetBoolean());
    }

    [Fact]
    public void NonFiniteLearningRateIsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => (Tiny(3) with { LearningRate = double.NaN }).Validate());
        Assert.Contains("LearningRate", error.Message);
    }

    [Fact]
    public void TrainsWithALearntByteLevelBpe()
    {
        var options = Tiny(6) with { Corpus = PatternCorpus(), Tokenizer = "bpe", VocabSize = 280 };
        var result = new LmTrainer(options, new Quiet()).Run(Path.Combine(root, "bpe"));
        var tokenizer = Data.Text.Tokenizers.Load(Path.Combine(result.ModelDirectory, "tokenizer.json"));
        Assert.IsType<Data.Text.ByteLevelBpe>(tokenizer);
        Assert.Equal(tokenizer.VocabSize, GptFolder.Load(result.ModelDirectory).Config.VocabSize);
    }

    [Fact]
    public void TrainsFromMemoryMappedTokenFiles()
    {
        var tokenizer = Data.Text.CharTokenizer.Train(["ABCDEFGHIJ"]);
        var tokenizerPath = Path.Combine(root, "tokenizer.json");
        tokenizer.Save(tokenizerPath);
        var ids = Enumerable.Range(0, 400).Select(i => tokenizer.Encode("ABCDEFGHIJ")[i % 10]).ToArray();
        TokenFile.Write(Path.Combine(root, "train.bin"), ids, tokenizer.VocabSize);
        TokenFile.Write(Path.Combine(root, "val.bin"), ids.Take(100), tokenizer.VocabSize);
        using (var file = new TokenFile(Path.Combine(root, "train.bin")))
        {
            Assert.Equal(400, file.Length);
            Assert.Equal(TokenWidth.UInt16, file.Width);
            var window = new long[3];
            file.Read(5, window);
            Assert.Equal(ids.Skip(5).Take(3).Select(i => (long)i), window);
            Assert.Throws<ArgumentOutOfRangeException>(() => file.Read(399, new long[2]));
        }
        var options = Tiny(20) with { TrainTokens = Path.Combine(root, "train.bin"), ValidationTokens = Path.Combine(root, "val.bin"), Tokenizer = tokenizerPath, LearningRate = 1e-2, EvalInterval = 10 };
        var result = new LmTrainer(options, new Quiet()).Run(Path.Combine(root, "bin"));
        Assert.True(result.ValidationLoss < result.UnigramBaselineLoss);
        Assert.Throws<ArgumentException>(() => TokenFile.Write(Path.Combine(root, "bad.bin"), [70000], 70001, TokenWidth.UInt16));
        File.WriteAllBytes(Path.Combine(root, "odd.bin"), [1, 2, 3]);
        Assert.Contains("odd.bin", Assert.Throws<InvalidDataException>(() => new TokenFile(Path.Combine(root, "odd.bin"))).Message);
    }

    [Fact]
    public void VocabulariesPastUInt16AreWrittenAndReadAsUInt32()
    {
        var folder = Directory.CreateDirectory(Path.Combine(root, "wide")).FullName;
        var path = Path.Combine(folder, "train.bin");
        Assert.Equal(TokenWidth.UInt32, TokenFile.Write(path, [70000, 3, 65536], 70001));
        Assert.Equal(12, new FileInfo(path).Length);
        Assert.Contains("uint32", File.ReadAllText(Path.Combine(folder, TokenFile.DescriptionFile)));
        using (var described = new TokenFile(path))
        {
            Assert.Equal(TokenWidth.UInt32, described.Width);
            Assert.Equal([70000L, 3, 65536], described.ReadAll());
        }
        using (var asked = new TokenFile(path, TokenWidth.UInt16))
            Assert.Equal(6, asked.Length);
        Assert.Contains("uint32", Assert.Throws<ArgumentException>(() => TokenFile.Parse("int8")).Message);
    }

    [Fact]
    public void ResumingAfterACrashGivesIdenticalWeights()
    {
        var straight = new LmTrainer(Tiny(9), new Quiet()).Run(Path.Combine(root, "straight"));
        var dir = Path.Combine(root, "crashed");
        Assert.Throws<OperationCanceledException>(() => new LmTrainer(Tiny(9), new Quiet(crashAt: 5)).Run(dir));
        var resumed = new LmTrainer(Tiny(9), new Quiet()).Run(dir, resumeFrom: dir);
        var a = SafeTensors.LoadAll(Path.Combine(straight.ModelDirectory, "model.safetensors"));
        var b = SafeTensors.LoadAll(Path.Combine(resumed.ModelDirectory, "model.safetensors"));
        foreach (var key in a.Keys) Assert.Equal(a[key].ToArray(), b[key].ToArray());
        Assert.Equal(straight.ValidationLoss, resumed.ValidationLoss);
    }

    [Fact]
    public void TokenWindowsCoverTheStreamAndBatchesAreReproducible()
    {
        var data = new TokenData([Enumerable.Range(1, 40).ToArray(), Enumerable.Range(100, 30).ToArray()], 0, 0.5, 3);
        var (x1, y1) = data.TrainBatch(4, 8, 7, 12);
        var (x2, _) = data.TrainBatch(4, 8, 7, 12);
        Assert.Equal(x1.ToArray<long>(), x2.ToArray<long>());
        var xs = x1.ToArray<long>();
        var ys = y1.ToArray<long>();
        for (int i = 0; i < 4; i++)
            for (int t = 0; t < 7; t++) Assert.Equal(xs[i * 8 + t + 1], ys[i * 8 + t]);
        int windows = TokenData.Windows(data.Validation, 2, 5, 100).Sum(w => w.Inputs.Shape[0]);
        Assert.Equal((data.Validation.Length - 1) / 5, windows);
    }

    [Fact]
    public void SamplingRespectsGreedyTopKAndSeeds()
    {
        var logits = new float[] { 0.1f, 3f, 2.9f, -1f };
        var g = new Generator(1);
        Assert.Equal(1, TextGenerator.Pick(logits, [], new SamplingOptions { Temperature = 0 }, g));
        for (int i = 0; i < 50; i++)
            Assert.Contains(TextGenerator.Pick(logits, [], new SamplingOptions { Temperature = 1, TopK = 2 }, g), new[] { 1, 2 });
        for (int i = 0; i < 50; i++)
            Assert.Equal(1, TextGenerator.Pick(logits, [], new SamplingOptions { Temperature = 1, TopP = 0.3f }, g));
        // A strong repetition penalty pushes the greedy choice off a token already in the context.
        Assert.Equal(2, TextGenerator.Pick(logits, [1], new SamplingOptions { Temperature = 0, RepetitionPenalty = 2f }, g));
        var counts = new int[4];
        var h = new Generator(9);
        for (int i = 0; i < 2000; i++) counts[TextGenerator.Pick(logits, [], new SamplingOptions { Temperature = 1 }, h)]++;
        Assert.InRange(counts[1] / 2000.0, 0.45, 0.58); // softmax puts 0.51 on token 1
        Assert.Throws<ArgumentOutOfRangeException>(() => new SamplingOptions { TopP = 0 }.Validate());
    }

    [Fact]
    public void TopPDrawsFromTheNucleusOfAFullSort()
    {
        // The sampler finds the nucleus by binning weights and sorting one bin; it must be the full sort's nucleus.
        var g = new Generator(4);
        for (int trial = 0; trial < 200; trial++)
        {
            var logits = new float[300];
            for (int i = 0; i < logits.Length; i++) logits[i] = (float)(g.NextDouble() * 8 - 4);
            logits[trial % 300] = logits[(trial + 1) % 300]; // a tie
            var options = new SamplingOptions { Temperature = 0.7f, TopP = trial % 2 == 0 ? 0.9f : 0.5f };
            ulong seed = (ulong)trial;
            Assert.Equal(FullSortTopP(logits, options, new Generator(seed)), TextGenerator.Pick(logits, [], options, new Generator(seed)));
        }
    }

    /// <summary>The nucleus by a full sort (the smallest most-likely set reaching p), then a draw walking it in id order.</summary>
    private static int FullSortTopP(float[] l, SamplingOptions o, Generator g)
    {
        var w = new float[l.Length];
        System.Numerics.Tensors.TensorPrimitives.Subtract(l, System.Numerics.Tensors.TensorPrimitives.Max(l), w);
        System.Numerics.Tensors.TensorPrimitives.Multiply(w, 1f / o.Temperature, w);
        System.Numerics.Tensors.TensorPrimitives.Exp(w, w);
        double total = System.Numerics.Tensors.TensorPrimitives.Sum(w), needed = o.TopP * total, cumulative = 0;
        var nucleus = new HashSet<int>();
        foreach (int i in Enumerable.Range(0, l.Length).OrderByDescending(i => l[i]).ThenBy(i => i))
        {
            nucleus.Add(i);
            if ((cumulative += w[i]) >= needed) break;
        }
        double u = g.NextDouble() * nucleus.Sum(i => (double)w[i]);
        foreach (int i in nucleus.Order())
            if ((u -= w[i]) <= 0) return i;
        return nucleus.Max();
    }

    [Fact]
    public void GenerationStopsAtStopTokensAndSlidesPastTheContext()
    {
        var model = new GptModel(new GptConfig { VocabSize = 11, NPositions = 8, NEmbd = 16, NLayer = 1, NHead = 2 }, new Generator(2));
        var long_ = TextGenerator.Generate(model, [1, 2, 3], new SamplingOptions { MaxNewTokens = 20, Temperature = 0 });
        Assert.Equal(20, long_.Length);
        var greedyFirst = long_[0];
        var stopped = TextGenerator.Generate(model, [1, 2, 3], new SamplingOptions { MaxNewTokens = 20, Temperature = 0, StopIds = new HashSet<int> { greedyFirst } });
        Assert.Equal(new[] { greedyFirst }, stopped);
        Assert.Throws<ArgumentOutOfRangeException>(() => TextGenerator.Generate(model, [11], new SamplingOptions()));
    }
}

public class BatchedGenerationTests
{
    [Fact]
    public void PaddedBatchGivesTheSameTokensAsOnePromptAtATime()
    {
        var model = GptFolder.Load(Path.Combine(Testing.Fixtures.Directory, "gpt2-tiny"));
        int[][] prompts = [[5, 7, 11], [1], [2, 3, 4, 5, 6, 8]];
        var options = new SamplingOptions { MaxNewTokens = 6, Temperature = 0 };
        var batched = TextGenerator.GenerateBatch(model, prompts, options);
        for (int i = 0; i < prompts.Length; i++)
            Assert.Equal(TextGenerator.Generate(model, prompts[i], options), batched[i]);
    }

    [Fact]
    public void SampledRowsFollowTheirOwnSeeds()
    {
        var model = GptFolder.Load(Path.Combine(Testing.Fixtures.Directory, "gpt2-tiny"));
        int[][] prompts = [[5, 7], [9, 1, 2]];
        var options = new SamplingOptions { MaxNewTokens = 5, Temperature = 1f, Seed = 4 };
        var batched = TextGenerator.GenerateBatch(model, prompts, options);
        Assert.Equal(TextGenerator.Generate(model, prompts[0], options), batched[0]);
        Assert.Equal(TextGenerator.Generate(model, prompts[1], options with { Seed = 5 }), batched[1]);
        Assert.Throws<ArgumentException>(() => TextGenerator.GenerateBatch(model, [[1]], options with { MaxNewTokens = 16 }));
    }
}
