using System.Text.Json;
using Sapling.Models.Gpt;
using Sapling.Data.Text;
using Sapling.Training.LanguageModel.Objectives;
using Sapling.Training.LanguageModel;

namespace Sapling.Training.Tests.LanguageModel;

public sealed class InstructionTuningTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-sft-").FullName;

    public void Dispose() => Directory.Delete(root, true);

    private static ITokenizer ChatTokenizer() => ChatTemplate.WithMarkers(CharTokenizer.Train(["abcd user assistant system\n"]));

    [Fact]
    public void TheLossMaskCoversExactlyTheAssistantTokensAndTheirClosingMarker()
    {
        var tokenizer = ChatTokenizer();
        var example = new[] { new ChatMessage("system", "s"), new ChatMessage("user", "ab"), new ChatMessage("assistant", "cd") };
        var (ids, trained) = ChatTemplate.ChatMl.Encode(tokenizer, example);
        Assert.Equal(tokenizer.Encode(ChatTemplate.ChatMl.Render(example, addGenerationPrompt: false)), ids);
        var learned = ids.Where((_, i) => trained[i]).ToArray();
        Assert.Equal([.. tokenizer.Encode("cd"), tokenizer.IdOf(ChatTemplate.End)], learned);
        // The assistant tokens are the only trained ones, and they sit right after the assistant header.
        int firstTrained = Array.IndexOf(trained, true);
        Assert.Equal(tokenizer.Encode(ChatTemplate.ChatMl.Render(example.Take(2).ToList(), addGenerationPrompt: true)).Length, firstTrained);
        Assert.Equal(InstructionObjective.LossMask(tokenizer, example), trained);
    }

    [Fact]
    public void ChatMarkersAreSingleTokensThatSurviveSaveAndLoad()
    {
        var tokenizer = ChatTokenizer();
        int start = tokenizer.IdOf(ChatTemplate.Start);
        Assert.Equal([start, tokenizer.IdOf("a"), tokenizer.IdOf(ChatTemplate.End)], tokenizer.Encode("<|im_start|>a<|im_end|>"));
        var path = Path.Combine(root, "tokenizer.json");
        tokenizer.Save(path);
        var loaded = Tokenizers.Load(path);
        Assert.Equal(tokenizer.Encode("<|im_start|>user\nab<|im_end|>"), loaded.Encode("<|im_start|>user\nab<|im_end|>"));
        Assert.Equal("ab", loaded.Decode(loaded.Encode("<|im_start|>ab<|im_end|>"), skipSpecial: true));

        var bpe = ByteLevelBpe.Train(["hello world"], 270);
        var chatBpe = ChatTemplate.WithMarkers(bpe);
        Assert.Equal(bpe.VocabSize + 2, chatBpe.VocabSize);
        Assert.Equal(bpe.Encode("hello"), chatBpe.Encode("hello"));
        Assert.Single(chatBpe.Encode(ChatTemplate.End));
    }

    [Fact]
    public void GrowingTheVocabularyKeepsOldRowsAndStartsNewOnesAtTheMean()
    {
        var model = new GptModel(new GptConfig { VocabSize = 10, NPositions = 8, NEmbd = 4, NLayer = 1, NHead = 2 }, new Generator(1));
        var before = model.Wte.Weight.ToArray();
        model.ResizeTokenEmbeddings(12);
        Assert.Equal(12, model.Config.VocabSize);
        var after = model.Wte.Weight.ToArray();
        Assert.Equal(before, after[..40]);
        for (int d = 0; d < 4; d++)
        {
            double mean = Enumerable.Range(0, 10).Average(r => before[r * 4 + d]);
            Assert.Equal(mean, after[40 + d], 5);
            Assert.Equal(mean, after[44 + d], 5);
        }
        Assert.Equal([1, 3, 12], model.Forward(Tensor.FromArray(new long[] { 1, 11, 10 }, 1, 3)).Shape.ToArray());
        Assert.Throws<ArgumentException>(() => model.ResizeTokenEmbeddings(5));
    }

    [Theory]
    [InlineData("full")]
    [InlineData("lora")]
    [InlineData("packed")]
    public void SftLearnsHeldOutAnswersAndLeavesAChatReadyFolder(string recipe)
    {
        // "packed": full tuning with several conversations per training row.
        string tuning = recipe == "packed" ? "full" : recipe;
        // A base model that never saw the chat markers; questions whose answer is a fixed function of the question.
        var baseDir = new LmTrainer(LanguageModelTests.Tiny(4) with { Context = 32 }, new LanguageModelTests.Quiet()).Run(Path.Combine(root, "base")).ModelDirectory;
        var data = Path.Combine(root, "qa.jsonl");
        var rows = Enumerable.Range(0, 40).Select(i => JsonSerializer.Serialize(new { prompt = "春" + "江花月夜"[i % 4], response = "月" })).ToList();
        rows.Add("""{"messages": [{"role": "user", "content": "x"}]}""");
        File.WriteAllLines(data, rows);
        var options = LanguageModelTests.Tiny(40) with
        {
            Method = TrainingMethod.Sft, Tuning = TrainingMethods.Parse(tuning), Packing = recipe == "packed", InitFrom = baseDir, Corpus = data, Context = 32, LearningRate = 0.02, EvalInterval = 20,
            ValidationFraction = 0.2, Lora = new NN.Adapters.LoraConfig { Rank = 4, Alpha = 8, TargetModules = ["c_attn", "c_proj", "c_fc"] },
            Monitor = tuning == "full" ? "exact_match" : "val_loss",
        };
        if (tuning == "full")
        {
            var error = Assert.Throws<ArgumentException>(() => new LmTrainer(options with { Monitor = "bleu" }, new LanguageModelTests.Quiet()).Run(Path.Combine(root, "bad-monitor")));
            Assert.Contains("exact_match", error.Message);
        }
        var result = new LmTrainer(options, new LanguageModelTests.Quiet()).Run(Path.Combine(root, "sft-" + recipe));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(result.RunDirectory, "results.json")));
        Assert.Equal(0, json.RootElement.GetProperty("base_exact_match").GetDouble());
        Assert.True(result.ValidationLoss < result.BaseValidationLoss - 0.1, $"validation loss {result.ValidationLoss} against {result.BaseValidationLoss} before");
        // Full tuning learns the answer; adapters on a 4-step base cannot (its frozen output head gives no confident logits).
        if (tuning == "full") Assert.Equal(1, json.RootElement.GetProperty("exact_match").GetDouble());
        Assert.True(ChatTemplate.IsDeclared(result.ModelDirectory));
        Assert.True(ChatTemplate.HasMarkers(Tokenizers.Load(Path.Combine(result.ModelDirectory, "tokenizer.json"))));
        if (tuning == "lora")
        {
            // The adapter belongs to the grown base written beside it.
            var adapter = Models.Adapters.PeftAdapter.Read(result.AdapterDirectory!);
            Assert.Equal(Path.GetFullPath(Path.Combine(result.RunDirectory, "base-model")), adapter.BaseModel);
            Assert.True(ChatTemplate.IsDeclared(adapter.BaseModel!));
        }
    }

    [Fact]
    public void PackingLaysConversationsEndToEndAndTrainsEachAnswerTokenOnce()
    {
        var examples = Enumerable.Range(0, 7).Select(i =>
        {
            var ids = Enumerable.Range(100 * i, 5 + i).ToArray();
            var trained = ids.Select((_, t) => t >= 3).ToArray();
            return (ids, trained);
        }).ToList();
        var rows = InstructionObjective.Pack(examples, 8, seed: 3);
        Assert.All(rows, r => Assert.InRange(r.Ids.Length, 2, 8));
        // Rows overlap by one token: dropping each later row's first token gives back the shuffled concatenation.
        var joined = rows[0].Ids.Concat(rows.Skip(1).SelectMany(r => r.Ids.Skip(1))).ToArray();
        Assert.Equal(examples.Sum(e => e.ids.Length), joined.Length);
        Assert.Equal(examples.SelectMany(e => e.ids).Order(), joined.Order());
        Assert.Equal(examples.Sum(e => e.trained.Count(t => t)), rows.Sum(r => r.Trained.Skip(1).Count(t => t)) + (rows[0].Trained[0] ? 1 : 0));
        Assert.Equal(rows.Select(r => r.Ids), InstructionObjective.Pack(examples, 8, seed: 3).Select(r => r.Ids));
        Assert.Throws<ArgumentOutOfRangeException>(() => InstructionObjective.Pack(examples, 1, seed: 3));
    }

    [Fact]
    public void OtherChatTemplatesAreRenderedAndUnsupportedOnesRefused()
    {
        File.WriteAllText(Path.Combine(root, ChatTemplate.ConfigFile), """{"chat_template": "{% for m in messages %}[INST] {{ m.content }} [/INST]{% endfor %}"}""");
        Assert.Equal("[INST] hi [/INST]", ChatTemplate.Load(root)!.Render([new ChatMessage("user", "hi")], addGenerationPrompt: true));
        File.WriteAllText(Path.Combine(root, ChatTemplate.ConfigFile), """{"chat_template": "{% for m in messages %}{% include 'turn.jinja' %}{% endfor %}"}""");
        Assert.Contains("{% include %} is not supported", Assert.Throws<NotSupportedException>(() => ChatTemplate.IsDeclared(root)).Message);
    }

    [Fact]
    public void SftWithAZephyrTemplateTrainsOnItsTurnsAndLeavesAFolderThatChatsInIt()
    {
        var baseDir = new LmTrainer(LanguageModelTests.Tiny(4) with { Context = 32 }, new LanguageModelTests.Quiet()).Run(Path.Combine(root, "base")).ModelDirectory;
        var data = Path.Combine(root, "qa.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 40).Select(i => JsonSerializer.Serialize(new { prompt = "春" + "江花月夜"[i % 4], response = "月" })));
        var options = LanguageModelTests.Tiny(40) with
        {
            Method = TrainingMethod.Sft, InitFrom = baseDir, Corpus = data, Context = 32, LearningRate = 0.02, EvalInterval = 20, ValidationFraction = 0.2,
            Monitor = "exact_match", ChatTemplate = "zephyr",
        };
        Assert.Throws<ArgumentException>(() => new LmTrainer(options with { ChatTemplate = "vicuna" }, new LanguageModelTests.Quiet()).Run(Path.Combine(root, "bad")));
        var result = new LmTrainer(options, new LanguageModelTests.Quiet()).Run(Path.Combine(root, "sft-zephyr"));
        Assert.True(result.ValidationLoss < result.BaseValidationLoss - 0.1, $"validation loss {result.ValidationLoss} against {result.BaseValidationLoss} before");
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(result.RunDirectory, "results.json")));
        Assert.Equal(1, json.RootElement.GetProperty("exact_match").GetDouble());
        var template = ChatTemplate.Load(result.ModelDirectory)!;
        Assert.Equal(ChatTemplate.Named("zephyr").Source, template.Source);
        Assert.Equal("</s>", template.EndOfTurn);
        var tokenizer = Tokenizers.Load(Path.Combine(result.ModelDirectory, "tokenizer.json"));
        Assert.True(template.HasSpecialTokens(tokenizer));
        Assert.False(ChatTemplate.HasMarkers(tokenizer));
        // The mask: the answer and the closing </s>, nothing of the user turn.
        var (ids, trained) = template.Encode(tokenizer, [new ChatMessage("user", "春江"), new ChatMessage("assistant", "月")]);
        Assert.Equal([.. tokenizer.Encode("月"), tokenizer.IdOf("</s>")], ids.Where((_, i) => trained[i]).ToArray());
    }
}
