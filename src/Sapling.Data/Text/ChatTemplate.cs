using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sapling.Text;

/// <summary>One turn of a conversation: role is system, user or assistant.</summary>
public sealed record ChatMessage(string Role, string Content);

/// <summary>
/// The ChatML conversation format (<c>&lt;|im_start|&gt;role\ncontent&lt;|im_end|&gt;\n</c> per message), declared by a
/// model folder in <c>tokenizer_config.json</c> as Hugging Face does (<c>chat_template</c>, the Jinja text
/// transformers renders). Sapling renders this one template itself; folders that declare a different template are
/// refused with a message rather than rendered wrongly.
/// </summary>
public static class ChatTemplate
{
    public const string Start = "<|im_start|>";
    public const string End = "<|im_end|>";
    public const string ConfigFile = "tokenizer_config.json";

    /// <summary>The Jinja form written for transformers' apply_chat_template.</summary>
    public const string Jinja = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    public static readonly string[] Roles = ["system", "user", "assistant"];

    /// <summary>The conversation as text, ending with the opening of an assistant turn when <paramref name="addGenerationPrompt"/>.</summary>
    public static string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var sb = new StringBuilder();
        foreach (var m in messages) sb.Append(Start).Append(m.Role).Append('\n').Append(m.Content).Append(End).Append('\n');
        if (addGenerationPrompt) sb.Append(Start).Append("assistant\n");
        return sb.ToString();
    }

    /// <summary>
    /// Token ids of the rendered conversation and, per id, whether it is trained on: the content of assistant turns
    /// and their closing marker (so the model learns to stop), nothing else.
    /// </summary>
    public static (int[] Ids, bool[] Trained) Encode(ITokenizer tokenizer, IReadOnlyList<ChatMessage> messages)
    {
        var ids = new List<int>();
        var trained = new List<bool>();
        void Add(string text, bool train)
        {
            foreach (int id in tokenizer.Encode(text))
            {
                ids.Add(id);
                trained.Add(train);
            }
        }
        foreach (var m in messages)
        {
            bool assistant = m.Role == "assistant";
            Add(Start + m.Role + "\n", false);
            Add(m.Content + End, assistant);
            Add("\n", false);
        }
        return (ids.ToArray(), trained.ToArray());
    }

    /// <summary>The tokenizer with the two markers as special tokens (new ids after the existing ones when missing).</summary>
    public static ITokenizer WithMarkers(ITokenizer tokenizer) => tokenizer.WithSpecialTokens([Start, End]);

    public static bool HasMarkers(ITokenizer tokenizer) => tokenizer.IdOf(Start) >= 0 && tokenizer.IdOf(End) >= 0;

    /// <summary>Writes tokenizer_config.json declaring the template and its special tokens.</summary>
    public static void Save(string modelDirectory)
    {
        var config = new JsonObject
        {
            ["chat_template"] = Jinja, ["bos_token"] = "<|endoftext|>", ["eos_token"] = End, ["pad_token"] = "<|endoftext|>",
            ["additional_special_tokens"] = new JsonArray(Start, End),
        };
        File.WriteAllText(Path.Combine(modelDirectory, ConfigFile), TokenizerJson.Serialize(config));
    }

    /// <summary>True when the folder declares the ChatML template; false when it declares none; an error for any other template.</summary>
    public static bool IsDeclared(string modelDirectory)
    {
        var path = Path.Combine(modelDirectory, ConfigFile);
        if (!File.Exists(path)) return false;
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
        if (root?["chat_template"] is not JsonValue value) return false;
        var template = value.GetValue<string>();
        if (template.Contains(Start, StringComparison.Ordinal) && template.Contains(End, StringComparison.Ordinal) && template.Contains("message['role']", StringComparison.Ordinal))
            return true;
        throw new NotSupportedException($"{path}: the chat template is not the ChatML form (<|im_start|>role ... <|im_end|>), the only one Sapling renders");
    }

    /// <summary>Reads an instruction row: {"messages": [{"role", "content"}, ...]} or {"prompt", "response"} (optionally "system").</summary>
    public static IReadOnlyList<ChatMessage> ReadExample(JsonElement row)
    {
        var messages = new List<ChatMessage>();
        if (row.TryGetProperty("messages", out var list))
        {
            if (list.ValueKind != JsonValueKind.Array) throw new InvalidDataException("\"messages\" is not a list");
            foreach (var m in list.EnumerateArray())
            {
                if (m.ValueKind != JsonValueKind.Object) throw new InvalidDataException("a message is not an object");
                var role = JsonlReader.RequiredString(m, "role");
                if (!Roles.Contains(role)) throw new InvalidDataException($"role \"{role}\" is not system, user or assistant");
                messages.Add(new ChatMessage(role, JsonlReader.RequiredString(m, "content")));
            }
        }
        else
        {
            if (row.TryGetProperty("system", out var system) && system.ValueKind == JsonValueKind.String) messages.Add(new ChatMessage("system", system.GetString()!));
            messages.Add(new ChatMessage("user", JsonlReader.RequiredString(row, "prompt")));
            messages.Add(new ChatMessage("assistant", JsonlReader.RequiredString(row, "response")));
        }
        if (!messages.Any(m => m.Role == "assistant")) throw new InvalidDataException("no assistant message to learn from");
        return messages;
    }
}
