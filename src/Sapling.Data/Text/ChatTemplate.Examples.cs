using System.Text.Json;

namespace Sapling.Data.Text;

public sealed partial class ChatTemplate
{
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
