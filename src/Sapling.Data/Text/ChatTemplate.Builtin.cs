namespace Sapling.Data.Text;

public sealed partial class ChatTemplate
{
    /// <summary>The templates an SFT config can name (sft.chat_template), with the special tokens each is declared with.
    /// They are written in the shape of the model families they are named after; the texts live in ChatTemplates/*.jinja.</summary>
    private static readonly Dictionary<string, (string? Bos, string? Eos, string[] Additional)> BuiltinTokens = new()
    {
        ["chatml"] = ("<|endoftext|>", End, [Start, End]),
        ["zephyr"] = ("<s>", "</s>", ["<|system|>", "<|user|>", "<|assistant|>"]),
        ["llama2"] = ("<s>", "</s>", []),
        ["mistral"] = ("<s>", "</s>", []),
        ["gemma"] = ("<bos>", "<eos>", ["<start_of_turn>", "<end_of_turn>"]),
        ["phi3"] = ("<s>", "<|endoftext|>", ["<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]),
        ["llama3"] = ("<|begin_of_text|>", "<|eot_id|>", ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]),
    };

    /// <summary>The names <see cref="Named"/> accepts for built-in templates (chatml, zephyr, llama2, …).</summary>
    public static IReadOnlyCollection<string> BuiltinNames => BuiltinTokens.Keys;

    /// <summary>ChatML (<c>&lt;|im_start|&gt;role\ncontent&lt;|im_end|&gt;\n</c> per message): what SFT declares for models that have no template.</summary>
    public static ChatTemplate ChatMl => LazyChatMl.Value;

    // Lazy: static initialisers of the partial class's files run in no guaranteed order, and this one needs the others.
    private static readonly Lazy<ChatTemplate> LazyChatMl = new(() => Builtin("chatml"));

    /// <summary>A built-in template by name (chatml, zephyr, llama2, mistral, gemma, phi3, llama3), or a .jinja file.
    /// A file's template gets &lt;|endoftext|&gt; (Sapling's document separator) as bos and eos and no additional special
    /// tokens: a file names no tokens, and a model folder's tokenizer_config.json is the place to declare them.</summary>
    public static ChatTemplate Named(string nameOrPath)
    {
        if (BuiltinTokens.ContainsKey(nameOrPath)) return Builtin(nameOrPath);
        if (nameOrPath.EndsWith(".jinja", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(nameOrPath)) throw new FileNotFoundException($"chat template file '{nameOrPath}' does not exist", nameOrPath);
            return FromFile(nameOrPath, File.ReadAllText(nameOrPath), "<|endoftext|>", "<|endoftext|>", []);
        }
        throw new ArgumentException($"chat template '{nameOrPath}' is neither one of {string.Join(", ", BuiltinTokens.Keys)} nor a .jinja file");
    }

    private static ChatTemplate Builtin(string name)
    {
        var (bos, eos, additional) = BuiltinTokens[name];
        using var stream = typeof(ChatTemplate).Assembly.GetManifestResourceStream($"Sapling.Data.Text.ChatTemplates.{name}.jinja")
            ?? throw new InvalidOperationException($"the built-in chat template {name} is missing from the assembly");
        using var reader = new StreamReader(stream);
        // The file's final newline is not part of the template (Jinja drops it too); without it ChatML's saved text is
        // exactly what Sapling has always written.
        var source = reader.ReadToEnd();
        if (source.EndsWith('\n')) source = source[..^1];
        return new ChatTemplate(source, bos, eos, additional, name == "chatml" ? "<|endoftext|>" : null);
    }

    private static ChatTemplate FromFile(string path, string source, string? bos, string? eos, IReadOnlyList<string> additional, string? pad = null, string? unk = null)
    {
        try
        {
            return new ChatTemplate(source, bos, eos, additional, pad, unk);
        }
        catch (Jinja.JinjaSyntaxException e)
        {
            throw new NotSupportedException($"{path}: the chat template cannot be rendered by Sapling: {e.Message}", e);
        }
    }
}
