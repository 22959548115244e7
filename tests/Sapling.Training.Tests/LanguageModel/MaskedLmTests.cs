using System.Text.Json;
using Sapling.IO;
using Sapling.Models;
using Sapling.Models.Bert;
using Sapling.Training.LanguageModel.Objectives;
using Sapling.Training.LanguageModel;

namespace Sapling.Training.Tests.LanguageModel;

/// <summary>
/// BERT on the one trainer: masked-LM pre-training from scratch with a WordPiece vocabulary learnt from the corpus beats
/// the unigram baseline and writes a BertForMaskedLM folder in transformers' names; method classify then puts a
/// BertForSequenceClassification head on that folder and learns labelled text.
/// </summary>
public sealed class MaskedLmTests : IDisposable
{
    private static readonly string[] Words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"];
    private readonly string root = Directory.CreateTempSubdirectory("sapling-mlm-").FullName;

    public void Dispose() => Directory.Delete(root, true);

    /// <summary>Rotations of ten words: a masked word is given away by its neighbours, never by its frequency.</summary>
    private string Corpus()
    {
        var docs = Enumerable.Range(0, 80).Select(i => string.Join(' ', Enumerable.Range(0, 30).Select(j => Words[(i + j) % 10])));
        var path = Path.Combine(root, "words.txt");
        File.WriteAllText(path, string.Join("\n%\n", docs) + "\n");
        return path;
    }

    [Fact]
    public void PretrainingThenClassifyingOnTheSameTrainer()
    {
        var options = LanguageModelTests.Tiny(1000) with
        {
            Corpus = Corpus(), CorpusFormat = "percent", Architecture = "bert", Tokenizer = "wordpiece", VocabSize = 60,
            Context = 24, Width = 32, Heads = 4, Layers = 2, BatchSize = 16, LearningRate = 5e-3, EvalInterval = 250, Dropout = 0,
        };
        var pretrained = new LmTrainer(options, new LanguageModelTests.Quiet()).Run(Path.Combine(root, "mlm"));
        Assert.True(pretrained.ValidationLoss < pretrained.UnigramBaselineLoss - 0.5, $"masked-LM loss {pretrained.ValidationLoss:F3} should be well below the unigram baseline {pretrained.UnigramBaselineLoss:F3}");
        var config = File.ReadAllText(Path.Combine(pretrained.ModelDirectory, "config.json"));
        Assert.Contains("BertForMaskedLM", config);
        var keys = SafeTensors.LoadAll(Path.Combine(pretrained.ModelDirectory, "model.safetensors")).Keys.ToHashSet();
        Assert.Contains("bert.encoder.layer.1.attention.self.query.weight", keys);
        Assert.Contains("cls.predictions.transform.dense.weight", keys);
        Assert.IsType<BertForMaskedLM>(ModelRegistry.LoadTrainable(pretrained.ModelDirectory));

        // Labelled text: which word opens the text decides the label.
        var data = Path.Combine(root, "labelled.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 60).Select(i => JsonSerializer.Serialize(new
        {
            text = string.Join(' ', Enumerable.Range(0, 6).Select(j => Words[(i + j) % 10])),
            label = i % 10 < 5 ? "first" : "second",
        })));
        var classify = LanguageModelTests.Tiny(60) with
        {
            Method = TrainingMethod.Classify, InitFrom = pretrained.ModelDirectory, Corpus = data, Context = 24, LearningRate = 3e-3, EvalInterval = 30,
            BatchSize = 8, ValidationFraction = 0.2, TestFraction = 0.2,
        };
        var result = new LmTrainer(classify, new LanguageModelTests.Quiet()).Run(Path.Combine(root, "classify"));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(result.RunDirectory, "results.json")));
        Assert.True(json.RootElement.GetProperty("test").GetProperty("accuracy").GetDouble() >= 0.9, json.RootElement.GetProperty("test").ToString());
        var classifier = Assert.IsType<BertForSequenceClassification>(ModelRegistry.LoadSequenceClassifier(result.ModelDirectory));
        Assert.Equal(["first", "second"], classifier.Labels);

        // LoRA on query and value with the head trained whole: a PEFT SEQ_CLS adapter, and the merged model beside it.
        var lora = new LmTrainer(classify with { Tuning = TrainingMethod.Lora, LearningRate = 1e-2, Lora = new NN.Adapters.LoraConfig { TargetModules = [] } }, new LanguageModelTests.Quiet()).Run(Path.Combine(root, "lora"));
        var adapter = lora.AdapterDirectory!;
        var adapterConfig = File.ReadAllText(Path.Combine(adapter, "adapter_config.json"));
        Assert.Contains("\"SEQ_CLS\"", adapterConfig);
        Assert.Contains("\"classifier\"", adapterConfig);
        var adapterKeys = SafeTensors.LoadAll(Path.Combine(adapter, "adapter_model.safetensors")).Keys.ToHashSet();
        Assert.Contains("base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight", adapterKeys);
        Assert.Contains("base_model.model.bert.encoder.layer.1.attention.self.value.lora_B.weight", adapterKeys);
        Assert.Contains("base_model.model.classifier.weight", adapterKeys);
        Assert.DoesNotContain(adapterKeys, k => k.Contains(".key.", StringComparison.Ordinal));
        var withAdapter = (ISequenceClassifier)Sapling.Models.Adapters.PeftAdapter.LoadEncoderClassifier(pretrained.ModelDirectory, adapter);
        var merged = ModelRegistry.LoadSequenceClassifier(lora.ModelDirectory);
        var ids = Tensor.FromArray(new long[] { 2, 7, 9, 11, 3 }, 1, 5);
        using (Autograd.NoGrad.Enter())
        {
            var a = withAdapter.Classify(ids, [5]).ToArray<float>();
            var b = merged.Classify(ids, [5]).ToArray<float>();
            for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 4);
        }
        using var loraJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(lora.RunDirectory, "results.json")));
        Assert.True(loraJson.RootElement.GetProperty("test").GetProperty("accuracy").GetDouble() >= 0.7, loraJson.RootElement.GetProperty("test").ToString());
    }

    [Fact]
    public void BertRefusesWhatItCannotDo()
    {
        var e = Assert.Throws<ArgumentException>(() => (LanguageModelTests.Tiny(5) with { Architecture = "bert", Method = TrainingMethod.Full, InitFrom = root }).Validate());
        Assert.Contains("masked-LM", e.Message);
    }
}

/// <summary>Whole-word masking chooses every piece of a word or none of them, at about 15% of words.</summary>
public sealed class WholeWordMaskTests
{
    [Fact]
    public void PiecesOfAWordAreChosenTogether()
    {
        string[] vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "play", "##ing", "##ed", "run", "##ner", "##s", "a"];
        var tokenizer = Data.Text.Tokenization.PipelineTokenizer.FromBertVocabulary(vocab, "vocab.txt");
        var documents = Enumerable.Range(0, 40).Select(i => tokenizer.Encode("playing runners a played runs play a running")).ToList();
        var data = new TokenData(documents, tokenizer.IdOf("[SEP]"), 0.1, 0);
        var options = LanguageModelTests.Tiny(10) with { Architecture = "bert", WholeWordMask = true, Context = 33 };
        var objective = new MaskedLmObjective(data, tokenizer, options);
        var (windows, _) = data.TrainBatch(64, 32, 0, 0);
        var (_, labels) = objective.Mask(windows, new Generator(9));
        var source = windows.ToArray<long>();
        var chosen = labels.ToArray<long>();
        int words = 0, chosenWords = 0;
        for (int r = 0; r < 64; r++)
        {
            for (int i = 0; i < 32; i++)
            {
                long token = source[r * 32 + i];
                bool isChosen = chosen[r * 33 + i + 1] != -100;
                bool continues = tokenizer.TokenOf((int)token)!.StartsWith("##", StringComparison.Ordinal);
                if (continues && i > 0 && source[r * 32 + i - 1] != tokenizer.IdOf("[SEP]"))
                {
                    Assert.Equal(chosen[r * 33 + i] != -100, isChosen);
                    continue;
                }
                if (token == tokenizer.IdOf("[SEP]")) continue;
                words++;
                if (isChosen) chosenWords++;
            }
        }
        double share = (double)chosenWords / words;
        Assert.InRange(share, 0.10, 0.20);

        var refused = Assert.Throws<NotSupportedException>(() => new MaskedLmObjective(data, Data.Text.Tokenization.PipelineTokenizer.FromBertVocabulary(vocab.Select(v => v.TrimStart('#')).ToArray(), "vocab.txt"), options));
        Assert.Contains("WholeWordMask needs a WordPiece vocabulary", refused.Message);
    }
}
