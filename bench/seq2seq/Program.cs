// Encoder-decoder benchmarks and the decoder-only baseline of the Apertium study.
//
//   dotnet run --project bench/seq2seq -c Release -- gpt-translate GPT_MODEL TEST.tsv OUT.txt
//       Greedy translations of each test source by a GPT trained on "source => target" lines (configs/apertium-gpt.yaml):
//       the prompt is "source =>", the output stops at the end-of-text token; one line per test pair.
//   dotnet run --project bench/seq2seq -c Release -- speed [train|beam] [rounds]
//       A T5-small-shaped model (vocabulary 32,128, d_model 512, 6 + 6 layers, 8 heads, d_ff 2,048, random weights, no dropout):
//       median milliseconds of an AdamW training step on 16 pairs of 64 → 64 tokens, and beam-4 tokens/s translating 8
//       sources of 64 tokens into 64 tokens (eos banned by min_length, so every beam runs the full length). One JSON line
//       per measurement; bench/seq2seq/compare-t5.sh interleaves it with t5_speed.py (the same shapes in PyTorch).
using System.Diagnostics;
using System.Text.Json;
using Sapling;
using Sapling.Inference;
using Sapling.Models;
using Sapling.Models.T5;
using Sapling.Optim;

switch (args.FirstOrDefault())
{
    case "gpt-translate" when args.Length == 4:
        GptTranslate(args[1], args[2], args[3]);
        break;
    case "alloc":
        Alloc(args.Length > 1 ? int.Parse(args[1]) : 20);
        break;
    case "speed":
        Speed(args.Length > 1 ? args[1] : "all", args.Length > 2 ? int.Parse(args[2]) : 3);
        break;
    default:
        Console.Error.WriteLine("usage: gpt-translate GPT_MODEL TEST.tsv OUT.txt | speed [train|beam|all] [repeats]");
        return 2;
}
return 0;

static void GptTranslate(string modelDirectory, string testPath, string outPath)
{
    var model = ModelRegistry.LoadLanguageModel(modelDirectory);
    var tokenizer = ModelRegistry.LoadTokenizer(modelDirectory)!;
    var sources = File.ReadLines(testPath).Where(l => l.Contains('\t')).Select(l => l[..l.IndexOf('\t')]).ToArray();
    var prompts = sources.Select(s => tokenizer.Encode(s + " =>")).ToArray();
    var outputs = new string[sources.Length];
    var watch = Stopwatch.StartNew();
    foreach (var chunk in Enumerable.Range(0, sources.Length).OrderBy(i => prompts[i].Length).Chunk(16))
    {
        int longest = chunk.Max(i => prompts[i].Length);
        var options = new SamplingOptions { Temperature = 0, MaxNewTokens = Math.Max(1, Math.Min(64, model.ContextLength - longest)), StopIds = new HashSet<int> { tokenizer.EndOfTextId } };
        var generated = TextGenerator.GenerateBatch(model, chunk.Select(i => (IReadOnlyList<int>)prompts[i]).ToArray(), options);
        for (int j = 0; j < chunk.Length; j++)
            outputs[chunk[j]] = tokenizer.Decode(generated[j].Where(t => t != tokenizer.EndOfTextId), skipSpecial: true).Trim().ReplaceLineEndings(" ");
    }
    File.WriteAllLines(outPath, outputs);
    Console.WriteLine($"{sources.Length} test sources translated in {watch.Elapsed.TotalSeconds:F1} s → {outPath}");
}

static void Speed(string what, int repeats)
{
    var config = new T5Config { VocabSize = 32128, DModel = 512, DKv = 64, DFf = 2048, NumLayers = 6, NumDecoderLayers = 6, NumHeads = 8, DropoutRate = 0f };
    var model = new T5ForConditionalGeneration(config, new Generator(0));
    var g = new Generator(1);
    Tensor Ids(int b, int t) => Tensor.FromArray(Enumerable.Range(0, b * t).Select(_ => g.NextInt64(2, config.VocabSize)).ToArray(), b, t);
    if (what is "train" or "all")
    {
        int batch = 16, length = 64;
        var source = Ids(batch, length);
        var decoderInput = Ids(batch, length);
        var labels = Ids(batch, length).Reshape(batch * length);
        model.Network.Train();
        var optimizer = new AdamW(model.Network.Parameters().ToList(), 1e-4, weightDecay: 0.01);
        double Step()
        {
            var watch = Stopwatch.StartNew();
            using (var scope = new TensorScope())
            {
                var logits = model.Decode(decoderInput, model.Encode(source));
                var loss = Tensor.CrossEntropy(logits.Reshape(batch * length, config.VocabSize), labels);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
            }
            return watch.Elapsed.TotalMilliseconds;
        }
        Step();
        var samples = Enumerable.Range(0, repeats).Select(_ => Step()).Order().ToArray();
        Report("train_step", "ms", samples[samples.Length / 2], new { batch, source_tokens = length, target_tokens = length, parameters = config.ParameterCount });
    }
    if (what is "beam" or "all")
    {
        model.Network.Eval();
        int batch = 8, length = 64, newTokens = 64;
        var sources = Enumerable.Range(0, batch).Select(_ => (IReadOnlyList<int>)Enumerable.Range(0, length).Select(_ => (int)g.NextInt64(2, config.VocabSize)).ToArray()).ToArray();
        var options = new Seq2SeqGenerationOptions { NumBeams = 4, MaxNewTokens = newTokens, MinLength = newTokens + 1 };
        double Run()
        {
            var watch = Stopwatch.StartNew();
            Seq2SeqGenerator.Generate(model, sources, options);
            return watch.Elapsed.TotalMilliseconds;
        }
        Run();
        var samples = Enumerable.Range(0, repeats).Select(_ => Run()).Order().ToArray();
        double ms = samples[samples.Length / 2];
        Report("beam4_translate", "tokens_per_s", batch * newTokens / (ms / 1000), new { batch, source_tokens = length, new_tokens = newTokens, beams = 4, ms });
    }
}

// Managed bytes allocated per training step of a Marian the size of configs/apertium-marian.yaml on batches of varying
// length (what the tensor pool does not serve), and the process's resident memory after.
static void Alloc(int steps)
{
    var config = new Sapling.Models.Bart.BartConfig
    {
        ModelType = "marian", VocabSize = 8001, DModel = 256, EncoderLayers = 3, DecoderLayers = 3, EncoderAttentionHeads = 4, DecoderAttentionHeads = 4,
        EncoderFfnDim = 1024, DecoderFfnDim = 1024, ActivationFunction = "swish", MaxPositionEmbeddings = 64, ScaleEmbedding = true,
        PadTokenId = 8000, BosTokenId = null, EosTokenId = 0, DecoderStartTokenId = 8000,
    };
    var model = new Sapling.Models.Bart.BartForConditionalGeneration(config, new Generator(0));
    model.Train();
    var optimizer = new AdamW(model.Parameters().ToList(), 1e-3);
    var g = new Generator(1);
    for (int step = 0; step < steps; step++)
    {
        int s = 16 * (1 + (int)g.NextInt64(0, 4)), t = 16 * (1 + (int)g.NextInt64(0, 4));
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        using (var scope = new TensorScope())
        {
            var source = Tensor.FromArray(Enumerable.Range(0, 32 * s).Select(_ => g.NextInt64(1, 8000)).ToArray(), 32, s);
            var target = Tensor.FromArray(Enumerable.Range(0, 32 * t).Select(_ => g.NextInt64(1, 8000)).ToArray(), 32, t);
            var logits = model.Decode(target, model.Encode(source));
            var loss = Tensor.CrossEntropy(logits.Reshape(32 * t, 8001), target.Reshape(32 * t), Reduction.Mean, -100, 0.1);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Console.WriteLine($"step {step} source {s} target {t}: {allocated / 1048576.0:F1} MB managed allocations, {watch.ElapsedMilliseconds} ms, resident {Environment.WorkingSet / 1048576} MB, GC heap {GC.GetTotalMemory(false) / 1048576} MB");
    }
}

static void Report(string name, string unit, double value, object details) =>
    Console.WriteLine(JsonSerializer.Serialize(new { framework = "sapling", name, unit, value, details }));
