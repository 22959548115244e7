using Sapling.Data.Text;
using Sapling.Data.Text.Jinja;

namespace Sapling.Data.Tests.Text;

public sealed class ChatTemplateTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-chat-template-").FullName;

    public void Dispose() => Directory.Delete(root, true);

    private static readonly ChatMessage[] Conversation =
    [
        new("system", "Be brief."), new("user", "Capital of France?"), new("assistant", "Paris."),
        new("user", "And Italy?"), new("assistant", "Rome.\nIt is."),
    ];

    private static string TrainedText(ITokenizer tokenizer, (int[] Ids, bool[] Trained) encoded) =>
        tokenizer.Decode(encoded.Ids.Where((_, i) => encoded.Trained[i]));

    [Fact]
    public void ChatMlEncodingIsExactlyTheHeaderContentNewlineSplitSaplingHasAlwaysUsed()
    {
        var bpe = ChatTemplate.WithMarkers(ByteLevelBpe.Train(["Capital of France? Paris. And Italy? Rome. It is. Be brief. user assistant system"], 300, minFrequency: 1));
        var (ids, trained) = ChatTemplate.ChatMl.Encode(bpe, Conversation);
        // The encoding before templates were general: per message "<|im_start|>role\n", "content<|im_end|>", "\n".
        var expectedIds = new List<int>();
        var expectedTrained = new List<bool>();
        foreach (var m in Conversation)
            foreach (var (text, train) in new[] { (ChatTemplate.Start + m.Role + "\n", false), (m.Content + ChatTemplate.End, m.Role == "assistant"), ("\n", false) })
                foreach (int id in bpe.Encode(text))
                {
                    expectedIds.Add(id);
                    expectedTrained.Add(train);
                }
        Assert.Equal(expectedIds, ids);
        Assert.Equal(expectedTrained, trained);
    }

    [Theory]
    [InlineData("zephyr", "</s>", "Paris.</s>Rome.\nIt is.</s>")]
    [InlineData("llama2", "</s>", "Paris. </s>Rome.\nIt is. </s>")]
    [InlineData("llama3", "<|eot_id|>", "Paris.<|eot_id|>Rome.\nIt is.<|eot_id|>")]
    [InlineData("phi3", "<|end|>", "Paris.<|end|>Rome.\nIt is.<|end|>")]
    public void TheLossMaskCoversEachAnswerAndItsEndOfTurnOnly(string name, string endOfTurn, string trainedText)
    {
        var template = ChatTemplate.Named(name);
        Assert.Equal(endOfTurn, template.EndOfTurn);
        var tokenizer = template.WithSpecialTokens(CharTokenizer.Train([string.Concat(Conversation.Select(m => m.Role + m.Content)) + "<>[]/|_INST SY"]));
        var encoded = template.Encode(tokenizer, Conversation);
        Assert.Equal(tokenizer.Encode(template.Render(Conversation, addGenerationPrompt: false)), encoded.Ids);
        Assert.Equal(trainedText, TrainedText(tokenizer, encoded));
        // The first trained token is the first of the answer, right after the assistant header.
        int first = Array.IndexOf(encoded.Trained, true);
        Assert.Equal(tokenizer.Encode("Paris.")[0], encoded.Ids[first]);
        Assert.Equal(template.EndOfTurn, tokenizer.Decode([encoded.Ids[Array.LastIndexOf(encoded.Trained, true)]]));
    }

    [Fact]
    public void AnswersThatTheTemplateTrimsAreFoundAndTrainedAsRendered()
    {
        var template = ChatTemplate.Named("gemma");
        var tokenizer = template.WithSpecialTokens(CharTokenizer.Train(["usermodel Hi there answer\n"]));
        var encoded = template.Encode(tokenizer, [new("user", "Hi"), new("assistant", "  answer \n")]);
        Assert.Equal("answer<end_of_turn>", TrainedText(tokenizer, encoded));
    }

    [Fact]
    public void TheTemplateEmitsOnlySomeOfItsDeclaredTokensAndOnlyThoseAreAdded()
    {
        Assert.Equal([ChatTemplate.Start, ChatTemplate.End], ChatTemplate.ChatMl.SpecialTokens);
        // The text SFT has always declared for ChatML.
        Assert.Equal("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}", ChatTemplate.ChatMl.Source);
        Assert.Equal(["<|system|>", "<|user|>", "<|assistant|>", "</s>"], ChatTemplate.Named("zephyr").SpecialTokens);
        var plain = CharTokenizer.Train(["abc"]);
        var grown = ChatTemplate.Named("zephyr").WithSpecialTokens(plain);
        Assert.Equal(plain.VocabSize + 4, grown.VocabSize);
        Assert.True(ChatTemplate.Named("zephyr").HasSpecialTokens(grown));
        Assert.Equal(new HashSet<int> { grown.EndOfTextId, grown.IdOf("</s>") }, ChatTemplate.Named("zephyr").StopIds(grown));
    }

    [Fact]
    public void AFolderDeclaresItsTemplateAsAStringAListOrAJinjaFile()
    {
        Assert.Null(ChatTemplate.Load(root));
        File.WriteAllText(Path.Combine(root, ChatTemplate.ConfigFile), """
            {"chat_template": [{"name": "tool_use", "template": "x"}, {"name": "default", "template": "{% for m in messages %}[INST] {{ m.content }} [/INST]{% endfor %}"}],
             "bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>", "additional_special_tokens": [{"content": "[INST]"}, "[/INST]"]}
            """);
        var template = ChatTemplate.Load(root)!;
        Assert.Equal("[INST] hi [/INST]", template.Render([new("user", "hi")], addGenerationPrompt: true));
        Assert.Equal(("<s>", "</s>"), (template.BosToken, template.EosToken));
        Assert.Equal(["[INST]", "[/INST]"], template.AdditionalSpecialTokens);

        template.Save(root);
        Assert.Equal(template.Source, ChatTemplate.Load(root)!.Source);

        File.WriteAllText(Path.Combine(root, ChatTemplate.ConfigFile), """{"eos_token": "</s>"}""");
        File.WriteAllText(Path.Combine(root, ChatTemplate.TemplateFile), "{{ messages[0].content }}|{{ eos_token }}\n");
        Assert.Equal("hi|</s>", ChatTemplate.Load(root)!.Render([new("user", "hi")], addGenerationPrompt: false));
    }

    [Fact]
    public void TemplatesSaplingCannotRenderAreRefusedWithTheirPlace()
    {
        File.WriteAllText(Path.Combine(root, ChatTemplate.ConfigFile), """{"chat_template": "{% macro turn(m) %}{{ m.content }}{% endmacro %}"}""");
        var error = Assert.Throws<NotSupportedException>(() => ChatTemplate.IsDeclared(root));
        Assert.Contains("{% macro %} is not supported", error.Message);
        Assert.Contains("line 1, column 4", error.Message);
        Assert.Throws<ArgumentException>(() => ChatTemplate.Named("vicuna"));
    }

    [Fact]
    public void AConversationTheTemplateRejectsFailsWithItsMessage()
    {
        var error = Assert.Throws<JinjaRenderException>(() => ChatTemplate.Named("mistral").Encode(CharTokenizer.Train(["ab"]), [new("system", "a"), new("user", "b"), new("assistant", "a")]));
        Assert.Equal("Conversation roles must alternate user/assistant/user/assistant/...", error.Message);
    }
}
