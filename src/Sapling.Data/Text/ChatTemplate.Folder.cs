using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sapling.Data.Text;

public sealed partial class ChatTemplate
{
    /// <summary>A newer transformers writes the template beside tokenizer_config.json rather than inside it.</summary>
    public const string TemplateFile = "chat_template.jinja";

    /// <summary>
    /// The template a model folder declares: <c>chat_template</c> in tokenizer_config.json (a string, or Hugging Face's
    /// list of named templates, of which "default" is used) or chat_template.jinja, with the bos, eos, pad, unk and
    /// additional special tokens declared there (strings or {"content": ...} objects); null when it declares none.
    /// </summary>
    /// <exception cref="NotSupportedException">The template uses a construct Sapling cannot render.</exception>
    public static ChatTemplate? Load(string modelDirectory)
    {
        var path = Path.Combine(modelDirectory, ConfigFile);
        JsonNode? root = null;
        if (File.Exists(path))
        {
            try
            {
                root = JsonNode.Parse(File.ReadAllText(path));
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
            }
        }
        string? source = TemplateText(root?["chat_template"], path);
        var file = Path.Combine(modelDirectory, TemplateFile);
        if (source == null && File.Exists(file))
        {
            source = File.ReadAllText(file);
            path = file;
        }
        if (source == null) return null;
        var additional = new List<string>();
        if (root?["additional_special_tokens"] is JsonArray list)
            foreach (var item in list)
                if (TokenText(item) is { } token) additional.Add(token);
        // Special tokens registered only in added_tokens_decoder count too: Llama 3 closes turns with <|eot_id|>,
        // which it declares nowhere else.
        if (root?["added_tokens_decoder"] is JsonObject added)
            foreach (var (_, entry) in added)
                if (entry?["special"] is JsonValue special && special.TryGetValue(out bool isSpecial) && isSpecial
                    && TokenText(entry) is { } token && !additional.Contains(token))
                    additional.Add(token);
        return FromFile(path, source, TokenText(root?["bos_token"]), TokenText(root?["eos_token"]), additional, TokenText(root?["pad_token"]), TokenText(root?["unk_token"]));
    }

    /// <summary>True when the folder declares a chat template (any that Sapling can render; an error for one it cannot).</summary>
    public static bool IsDeclared(string modelDirectory) => Load(modelDirectory) != null;

    private static string? TemplateText(JsonNode? node, string path)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonValue value when value.TryGetValue(out string? text):
                return text;
            case JsonArray named:
                foreach (var entry in named)
                    if (entry?["name"]?.GetValue<string>() == "default") return entry["template"]?.GetValue<string>();
                throw new NotSupportedException($"{path}: chat_template lists named templates but none is called \"default\"");
            default:
                throw new InvalidDataException($"{path}: chat_template is neither a string nor a list of {{name, template}}");
        }
    }

    private static string? TokenText(JsonNode? node) => node switch
    {
        JsonValue value when value.TryGetValue(out string? text) => text,
        JsonObject added => added["content"] is JsonValue content && content.TryGetValue(out string? text) ? text : null,
        _ => null,
    };

    /// <summary>Writes tokenizer_config.json declaring the template and its special tokens.</summary>
    public void Save(string modelDirectory)
    {
        var config = new JsonObject { ["chat_template"] = Source };
        if (BosToken != null) config["bos_token"] = BosToken;
        if (EosToken != null) config["eos_token"] = EosToken;
        if (PadToken != null) config["pad_token"] = PadToken;
        if (UnkToken != null) config["unk_token"] = UnkToken;
        var additional = new JsonArray();
        foreach (var token in AdditionalSpecialTokens) additional.Add(token);
        config["additional_special_tokens"] = additional;
        File.WriteAllText(Path.Combine(modelDirectory, ConfigFile), TokenizerJson.Serialize(config));
        // A chat_template.jinja left by another template would be ignored on load but would mislead a reader.
        var file = Path.Combine(modelDirectory, TemplateFile);
        if (File.Exists(file)) File.Delete(file);
    }
}
