using Sapling.Data.Text;
using Sapling.Data.Text.Jinja;

namespace Sapling.Data.Tests.Text.Jinja;

/// <summary>Sapling's renderer against Jinja2's own output (tests/fixtures/chat_templates.json), string for string.</summary>
public sealed class ReferenceRenderingTests
{
    [Theory]
    [MemberData(nameof(ChatTemplateFixtures.ChatNames), MemberType = typeof(ChatTemplateFixtures))]
    public void ChatTemplatesRenderEveryConversationAsJinjaDoes(string name)
    {
        var fixture = ChatTemplateFixtures.Chat(name);
        var additional = fixture.GetProperty("additional_special_tokens").EnumerateArray().Select(t => t.GetString()!).ToList();
        var template = new ChatTemplate(fixture.GetProperty("template").GetString()!, ChatTemplateFixtures.Text(fixture, "bos_token"), ChatTemplateFixtures.Text(fixture, "eos_token"), additional);
        int compared = 0;
        foreach (var render in fixture.GetProperty("renders").EnumerateArray())
        {
            var messages = Conversation(render.GetProperty("conversation").GetString()!);
            bool generationPrompt = render.GetProperty("add_generation_prompt").GetBoolean();
            if (ChatTemplateFixtures.Text(render, "error") is { } error)
            {
                // Sapling adds the template position after Jinja's message, except to raise_exception's own words.
                var thrown = Assert.Throws<JinjaRenderException>(() => template.Render(messages, generationPrompt));
                Assert.StartsWith(error, thrown.Message);
            }
            else Assert.Equal(ChatTemplateFixtures.Text(render, "output"), template.Render(messages, generationPrompt));
            compared++;
        }
        Assert.True(compared >= 10);
    }

    [Theory]
    [MemberData(nameof(ChatTemplateFixtures.ChatNames), MemberType = typeof(ChatTemplateFixtures))]
    public void BuiltinTemplatesAreTheOnesTheFixturesRendered(string name)
    {
        var fixture = ChatTemplateFixtures.Chat(name);
        var builtin = ChatTemplate.Named(name);
        Assert.Equal(fixture.GetProperty("template").GetString()!.TrimEnd('\n'), builtin.Source);
        Assert.Equal(ChatTemplateFixtures.Text(fixture, "bos_token"), builtin.BosToken);
        Assert.Equal(ChatTemplateFixtures.Text(fixture, "eos_token"), builtin.EosToken);
        Assert.Equal(fixture.GetProperty("additional_special_tokens").EnumerateArray().Select(t => t.GetString()), builtin.AdditionalSpecialTokens);
    }

    [Theory]
    [MemberData(nameof(ChatTemplateFixtures.FeatureNames), MemberType = typeof(ChatTemplateFixtures))]
    public void FeatureTemplatesRenderAsJinjaDoes(string name)
    {
        var fixture = ChatTemplateFixtures.Feature(name);
        var template = JinjaTemplate.Parse(fixture.GetProperty("template").GetString()!);
        var variables = ChatTemplateFixtures.ToDictionary(fixture.GetProperty("variables"));
        // The fixtures' strftime_now formats a fixed time instead of the day they were made.
        var now = DateTime.Parse(ChatTemplateFixtures.Root.GetProperty("strftime_now_time").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        if (ChatTemplateFixtures.Text(fixture, "error") is { } error)
        {
            // Sapling adds the template position after Jinja's message.
            var thrown = Assert.Throws<JinjaRenderException>(() => template.Render(variables, now));
            Assert.StartsWith(error, thrown.Message);
        }
        else Assert.Equal(ChatTemplateFixtures.Text(fixture, "output"), template.Render(variables, now));
    }

    private static List<ChatMessage> Conversation(string name)
    {
        var messages = ChatTemplateFixtures.Root.GetProperty("conversations").GetProperty(name);
        return messages.EnumerateArray().Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)).ToList();
    }
}
