using System.Text.Json;
using Sapling.Models.Gpt;
using Sapling.Serving.Api;
using Sapling.Serving.Catalog;
using Sapling.Data.Text;

namespace Sapling.Serving.Tests;

/// <summary>A model folder that declares a Zephyr template chats in it: its prompt, and its stop at the template's end of turn.</summary>
public sealed class ChatTemplateServingTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-serve-zephyr-").FullName;

    public void Dispose() => Directory.Delete(root, true);

    [Fact]
    public void AZephyrFolderIsServedAsAChatModelThatStopsAtItsEndOfTurn()
    {
        var template = ChatTemplate.Named("zephyr");
        var tokenizer = template.WithSpecialTokens(CharTokenizer.Train([TestModels.Text]));
        GptFolder.Save(root, new GptModel(new GptConfig { VocabSize = tokenizer.VocabSize, NPositions = 64, NEmbd = 8, NLayer = 1, NHead = 2 }, new Generator(5)));
        tokenizer.Save(Path.Combine(root, "tokenizer.json"));
        template.Save(root);

        var model = Assert.IsType<ServedLanguageModel>(ModelCatalog.Load(new ModelSource(root)));
        Assert.True(model.HasChatTemplate);
        Assert.Contains(model.Tokenizer.IdOf("</s>"), model.StopIds(chat: true));
        Assert.DoesNotContain(model.Tokenizer.IdOf("</s>"), model.StopIds(chat: false));

        using var body = JsonDocument.Parse("""{"messages": [{"role": "developer", "content": "be a fox"}, {"role": "user", "content": "la la"}]}""");
        var prompt = GenerationSettings.ChatPrompt(new JsonBody(body.RootElement), model);
        Assert.Equal(model.Tokenizer.Encode("<|system|>\nbe a fox</s>\n<|user|>\nla la</s>\n<|assistant|>\n"), prompt);
    }
}
