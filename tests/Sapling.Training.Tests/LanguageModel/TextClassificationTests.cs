using System.Text.Json;
using Sapling.IO;
using Sapling.Models.Gpt;
using Sapling.Data.Text;
using Sapling.Training.LanguageModel.Objectives;
using Sapling.Training.LanguageModel;

namespace Sapling.Training.Tests.LanguageModel;

public sealed class TextClassificationTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-classify-").FullName;

    public void Dispose() => Directory.Delete(root, true);

    [Fact]
    public void AGptClassifierLearnsLabelledTextAndReportsTheTestSplit()
    {
        var baseDir = new LmTrainer(LanguageModelTests.Tiny(4) with { Context = 32 }, new LanguageModelTests.Quiet()).Run(Path.Combine(root, "base")).ModelDirectory;
        var data = Path.Combine(root, "mail.jsonl");
        var rows = Enumerable.Range(0, 80).Select(i => JsonSerializer.Serialize(new
        {
            text = $"From: someone\nSubject: {(i % 2 == 0 ? "春花" : "秋月")}\n\n{"床前明月光"[i % 5]}{(i % 2 == 0 ? "春春春" : "月月月")}",
            label = i % 2 == 0 ? "spam" : "ham",
        })).ToList();
        rows.Insert(5, """{"text": "no label"}""");
        rows.Insert(9, "not json at all");
        rows.Insert(12, """{"text": "", "label": "ham"}""");
        File.WriteAllLines(data, rows);
        var warnings = new List<string>();
        var options = LanguageModelTests.Tiny(60) with
        {
            Method = TrainingMethod.Classify, InitFrom = baseDir, Corpus = data, Context = 32, LearningRate = 0.01, EvalInterval = 20,
            ValidationFraction = 0.1, TestFraction = 0.2, StripHeaders = true, PositiveLabel = "spam",
        };
        var result = new LmTrainer(options, new RecordingProgress(warnings)).Run(Path.Combine(root, "classify"));
        Assert.Contains(warnings, w => w.Contains("3 rows skipped") && w.Contains("line 6") && w.Contains("line 10") && w.Contains("line 13"));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(result.RunDirectory, "results.json")));
        var test = json.RootElement.GetProperty("test");
        Assert.Equal(1.0, test.GetProperty("accuracy").GetDouble());
        Assert.Equal(1.0, test.GetProperty("f1_spam").GetDouble());
        Assert.Equal(16, test.GetProperty("support").GetInt64());
        Assert.True(File.Exists(Path.Combine(result.RunDirectory, "confusion_matrix.svg")));
        var predictions = File.ReadAllLines(Path.Combine(result.RunDirectory, "test_predictions.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(16, predictions.Count);
        Assert.All(predictions, p => Assert.Equal(p.GetProperty("label").GetString(), p.GetProperty("predicted").GetString()));
        Assert.All(predictions, p => Assert.True(p.GetProperty("correct").GetBoolean()));
        Assert.Equal(16, predictions.Select(p => p.GetProperty("index").GetInt64()).Distinct().Count());
        Assert.Contains("spam", File.ReadAllText(Path.Combine(result.RunDirectory, "classification_report.txt")));

        // The folder is transformers' GPT2ForSequenceClassification and loads back with the same head.
        var config = File.ReadAllText(Path.Combine(result.ModelDirectory, "config.json"));
        Assert.Contains("GPT2ForSequenceClassification", config);
        Assert.Contains("\"id2label\"", config);
        var names = SafeTensors.LoadAll(Path.Combine(result.ModelDirectory, "model.safetensors"), DType.Float32).Keys.ToList();
        Assert.Contains("score.weight", names);
        Assert.Contains("transformer.h.0.attn.c_attn.weight", names);
        var model = GptFolder.Load(result.ModelDirectory);
        Assert.Equal(["ham", "spam"], model.Config.Labels);
        var tokenizer = Tokenizers.Load(Path.Combine(result.ModelDirectory, "tokenizer.json"));
        var ids = tokenizer.Encode("春花\n\n床春春春");
        var logits = model.Classify(Tensor.FromArray(ids.Select(i => (long)i).ToArray(), 1, ids.Length), [ids.Length]).ToArray();
        Assert.True(logits[1] > logits[0], "a spam-like text should score as spam");
    }

    /// <summary>A tiny pretrained base and 80 texts whose label shows in their repeated character.</summary>
    private (string BaseDirectory, string Data) TinyBaseAndTwoClassMail()
    {
        var baseDir = new LmTrainer(LanguageModelTests.Tiny(4) with { Context = 32 }, new LanguageModelTests.Quiet()).Run(Path.Combine(root, "base")).ModelDirectory;
        var data = Path.Combine(root, "mail.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 80).Select(i => JsonSerializer.Serialize(new
        {
            text = $"{"床前明月光"[i % 5]}{(i % 2 == 0 ? "春春春" : "月月月")}",
            label = i % 2 == 0 ? "spam" : "ham",
        })));
        return (baseDir, data);
    }

    [Fact]
    public void LoraAdaptersWithATrainedHeadClassifyAndSaveAsPeftSeqCls()
    {
        var (baseDir, data) = TinyBaseAndTwoClassMail();
        var options = LanguageModelTests.Tiny(60) with
        {
            Method = TrainingMethod.Classify, Tuning = TrainingMethod.Lora, InitFrom = baseDir, Corpus = data, Context = 32, LearningRate = 0.02, EvalInterval = 20,
            ValidationFraction = 0.1, TestFraction = 0.2, PositiveLabel = "spam",
        };
        var messages = new List<string>();
        var result = new LmTrainer(options, new RecordingProgress(messages)).Run(Path.Combine(root, "lora"));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(result.RunDirectory, "results.json")));
        Assert.Equal(1.0, json.RootElement.GetProperty("test").GetProperty("accuracy").GetDouble());
        // Only the adapters and the head trained.
        Assert.True(json.RootElement.GetProperty("trainable_params").GetInt64() < json.RootElement.GetProperty("all_params").GetInt64() / 5);

        // The adapter is PEFT's SEQ_CLS form: LoRA tensors plus the whole score head, its labels beside it.
        var adapter = result.AdapterDirectory!;
        using var adapterConfig = JsonDocument.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json")));
        Assert.Equal("SEQ_CLS", adapterConfig.RootElement.GetProperty("task_type").GetString());
        Assert.Equal("score", adapterConfig.RootElement.GetProperty("modules_to_save")[0].GetString());
        var names = SafeTensors.LoadAll(Path.Combine(adapter, "adapter_model.safetensors")).Keys.ToList();
        Assert.Contains("base_model.model.score.weight", names);
        Assert.Contains(names, n => n.Contains("lora_A"));

        // The merged folder and base + adapter score texts the same.
        var merged = GptFolder.Load(result.ModelDirectory);
        var adapted = Sapling.Models.Adapters.PeftAdapter.LoadModel(baseDir, adapter);
        Assert.Equal(["ham", "spam"], adapted.Config.Labels);
        var tokenizer = Tokenizers.Load(Path.Combine(result.ModelDirectory, "tokenizer.json"));
        var ids = tokenizer.Encode("床春春春");
        var input = Tensor.FromArray(ids.Select(i => (long)i).ToArray(), 1, ids.Length);
        using (Autograd.NoGrad.Enter())
            Testing.TensorAssert.Close(merged.Classify(input, [ids.Length]), adapted.Classify(input, [ids.Length]), rtol: 1e-4f, atol: 1e-5f);

        File.Delete(Path.Combine(adapter, Sapling.Models.Adapters.PeftAdapter.HeadFile));
        Assert.Contains("no classification_head.json", Assert.Throws<InvalidDataException>(() => Sapling.Models.Adapters.PeftAdapter.LoadModel(baseDir, adapter)).Message);
        Assert.Contains("Tuning must be full or lora for Method classify", Assert.Throws<ArgumentException>(() => (options with { Tuning = TrainingMethod.Prompt }).Validate()).Message);
    }

    [Fact]
    public void LastTokenPoolingReadsEachRowAtItsOwnLength()
    {
        var model = new GptModel(new GptConfig { VocabSize = 10, NPositions = 8, NEmbd = 8, NLayer = 1, NHead = 2, EmbdPdrop = 0, AttnPdrop = 0, ResidPdrop = 0 }, new Generator(1));
        model.AddClassificationHead(["a", "b", "c"], padTokenId: 0);
        model.Eval();
        var padded = Tensor.FromArray(new long[] { 3, 4, 5, 0, 0, 6, 7, 8, 9, 1 }, 2, 5);
        var logits = model.Classify(padded, [3, 5]);
        var alone = model.Classify(Tensor.FromArray(new long[] { 3, 4, 5 }, 1, 3), [3]);
        Testing.TensorAssert.Close(alone, logits.Narrow(0, 0, 1), rtol: 1e-5f, atol: 1e-6f);
        var mean = model.Classify(padded, [3, 5], meanPooling: true);
        var hidden = model.HiddenStates(Tensor.FromArray(new long[] { 3, 4, 5 }, 1, 3)).Mean(1);
        Testing.TensorAssert.Close(model.Score!.Forward(hidden), mean.Narrow(0, 0, 1), rtol: 1e-5f, atol: 1e-6f);
        Assert.Contains("outside", Assert.Throws<ArgumentException>(() => model.Classify(padded, [0, 5])).Message);
    }

    [Fact]
    public void TheAuxiliaryLanguageModelLossIsTheNextTokenLossOfEachRowOverItsRealTokens()
    {
        var model = new GptModel(new GptConfig { VocabSize = 10, NPositions = 8, NEmbd = 8, NLayer = 1, NHead = 2, EmbdPdrop = 0, AttnPdrop = 0, ResidPdrop = 0 }, new Generator(2));
        model.Eval();
        var padded = Tensor.FromArray(new long[] { 3, 4, 5, 0, 0, 6, 7, 8, 9, 1 }, 2, 5);
        var loss = SequenceClassificationObjective.NextTokenLoss(model, model.HiddenStates(padded), padded, [3, 5]).Item();
        // By hand: each row alone, sum of -log p(next) over its real positions, averaged over all 2 + 4 targets.
        double total = 0;
        foreach (var row in new[] { new long[] { 3, 4, 5 }, new long[] { 6, 7, 8, 9, 1 } })
        {
            var logp = model.Forward(Tensor.FromArray(row, 1, row.Length), null).LogSoftmax(-1).ToArray();
            for (int i = 0; i + 1 < row.Length; i++) total -= logp[i * 10 + row[i + 1]];
        }
        Assert.Equal(total / 6, loss, 5);
    }

    [Fact]
    public void AClassifierWithTheAuxiliaryLanguageModelLossStillLearnsAndANegativeWeightIsRefused()
    {
        var (baseDir, data) = TinyBaseAndTwoClassMail();
        var options = LanguageModelTests.Tiny(60) with
        {
            Method = TrainingMethod.Classify, InitFrom = baseDir, Corpus = data, Context = 32, LearningRate = 0.01, EvalInterval = 20,
            ValidationFraction = 0.1, TestFraction = 0.2, PositiveLabel = "spam", ClassifyLmWeight = 0.5f,
        };
        var result = new LmTrainer(options, new LanguageModelTests.Quiet()).Run(Path.Combine(root, "aux"));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(result.RunDirectory, "results.json")));
        Assert.Equal(1.0, json.RootElement.GetProperty("test").GetProperty("accuracy").GetDouble());
        Assert.Contains("ClassifyLmWeight", Assert.Throws<ArgumentException>(() => new LmTrainer(options with { ClassifyLmWeight = -1 }, new LanguageModelTests.Quiet()).Run(Path.Combine(root, "bad"))).Message);

        // Texts of one token leave no next token to predict: the auxiliary term sits out instead of making the loss NaN.
        var single = Path.Combine(root, "single.jsonl");
        File.WriteAllLines(single, Enumerable.Range(0, 40).Select(i => JsonSerializer.Serialize(new { text = i % 2 == 0 ? "春" : "月", label = i % 2 == 0 ? "spam" : "ham" })));
        var warnings = new List<string>();
        var shortRun = new LmTrainer(options with { Corpus = single, Steps = 20, EvalInterval = 10 }, new RecordingProgress(warnings)).Run(Path.Combine(root, "single"));
        Assert.DoesNotContain(warnings, w => w.Contains("diverged"));
        Assert.True(double.IsFinite(shortRun.ValidationLoss), $"validation loss {shortRun.ValidationLoss}");
    }
}
