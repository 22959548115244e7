using Sapling.Data.Text.Jinja;

namespace Sapling.Data.Text;

/// <summary>
/// A conversation format: the Jinja <c>chat_template</c> a model folder declares in <c>tokenizer_config.json</c> (as
/// Hugging Face does) with the special tokens it refers to. Sapling renders it with its own Jinja subset
/// (<see cref="JinjaTemplate"/>), which refuses templates it cannot render exactly. ChatML is the default that
/// SFT writes for models that declare none.
/// </summary>
public sealed partial class ChatTemplate
{
    /// <summary>ChatML's marker that opens a turn, followed by the role and a newline.</summary>
    public const string Start = "<|im_start|>";
    /// <summary>ChatML's marker that closes a turn; generation with the ChatML template stops at it.</summary>
    public const string End = "<|im_end|>";
    /// <summary>The model folder's file that holds the chat template and its special tokens.</summary>
    public const string ConfigFile = "tokenizer_config.json";

    /// <summary>The message roles a conversation may use, as accepted from training data and the serving API.</summary>
    public static readonly string[] Roles = ["system", "user", "assistant"];

    // Stands in for one message's content to find where the template puts it; private-use characters no template writes.
    private const string ContentMarker = "\uE000sapling-content\uE001";
    private readonly JinjaTemplate template;

    /// <exception cref="JinjaSyntaxException">The template is malformed or uses a construct Sapling does not render.</exception>
    public ChatTemplate(string source, string? bosToken, string? eosToken, IReadOnlyList<string>? additionalSpecialTokens = null, string? padToken = null, string? unkToken = null)
    {
        Source = source;
        BosToken = bosToken;
        EosToken = eosToken;
        PadToken = padToken;
        UnkToken = unkToken;
        AdditionalSpecialTokens = additionalSpecialTokens ?? [];
        template = JinjaTemplate.Parse(source);
        SpecialTokens = EmittedSpecialTokens();
        EndOfTurn = FindEndOfTurn();
    }

    /// <summary>The Jinja text, as saved in tokenizer_config.json.</summary>
    public string Source { get; }

    /// <summary>The bos_token passed to the template, or null when the model declares none.</summary>
    public string? BosToken { get; }
    /// <summary>The eos_token passed to the template, or null when the model declares none.</summary>
    public string? EosToken { get; }
    /// <summary>The pad_token passed to the template, or null.</summary>
    public string? PadToken { get; }
    /// <summary>The unk_token passed to the template, or null.</summary>
    public string? UnkToken { get; }
    /// <summary>The declared additional_special_tokens, passed to the template as a list (empty when none).</summary>
    public IReadOnlyList<string> AdditionalSpecialTokens { get; }

    /// <summary>The declared special tokens (additional ones, then bos and eos) that the template writes into conversations:
    /// each must be one token of the tokenizer, and SFT adds those that are missing.</summary>
    public IReadOnlyList<string> SpecialTokens { get; }

    /// <summary>The special token that closes an assistant turn (&lt;|im_end|&gt; for ChatML, &lt;/s&gt; for Llama-2), where
    /// generation stops; null when the template closes answers with no declared special token.</summary>
    public string? EndOfTurn { get; }

    /// <summary>The conversation as text, ending with the opening of an assistant turn when <paramref name="addGenerationPrompt"/>.</summary>
    /// <exception cref="JinjaRenderException">The template rejected the conversation (raise_exception) or failed.</exception>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var list = new List<object?>(messages.Count);
        foreach (var m in messages) list.Add(new OrderedDictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content });
        // The variables transformers' apply_chat_template passes: messages, the generation flag, tools and documents
        // (None when absent) and the tokenizer's special tokens.
        var variables = new Dictionary<string, object?>
        {
            ["messages"] = list, ["add_generation_prompt"] = addGenerationPrompt, ["tools"] = null, ["documents"] = null,
            ["additional_special_tokens"] = new List<object?>(AdditionalSpecialTokens),
        };
        if (BosToken != null) variables["bos_token"] = BosToken;
        if (EosToken != null) variables["eos_token"] = EosToken;
        if (PadToken != null) variables["pad_token"] = PadToken;
        if (UnkToken != null) variables["unk_token"] = UnkToken;
        return template.Render(variables);
    }

    /// <summary>The tokenizer with the template's special tokens (new ids after the existing ones when missing).</summary>
    public ITokenizer WithSpecialTokens(ITokenizer tokenizer) => tokenizer.WithSpecialTokens(SpecialTokens);

    /// <summary>
    /// Whether <paramref name="tokenizer"/> already has every special token the template writes (see
    /// <see cref="SpecialTokens"/>), so nothing needs adding.
    /// </summary>
    public bool HasSpecialTokens(ITokenizer tokenizer)
    {
        foreach (var token in SpecialTokens)
            if (tokenizer.IdOf(token) < 0) return false;
        return true;
    }

    /// <summary>Tokens that end a chat answer: end-of-text and the template's end-of-turn token.</summary>
    public HashSet<int> StopIds(ITokenizer tokenizer)
    {
        var ids = new HashSet<int> { tokenizer.EndOfTextId };
        if (EndOfTurn != null && tokenizer.IdOf(EndOfTurn) is >= 0 and var id) ids.Add(id);
        return ids;
    }

    /// <summary>The ChatML markers as special tokens (what SFT adds for the default template).</summary>
    public static ITokenizer WithMarkers(ITokenizer tokenizer) => ChatMl.WithSpecialTokens(tokenizer);

    /// <summary>Whether the tokenizer has the ChatML markers.</summary>
    public static bool HasMarkers(ITokenizer tokenizer) => ChatMl.HasSpecialTokens(tokenizer);

    // Small conversations in the shapes templates accept (some refuse a system turn, some need user first).
    private static readonly ChatMessage[][] Probes =
    [
        [new("system", "s"), new("user", "u"), new("assistant", "a")],
        [new("user", "u"), new("assistant", "a")],
        [new("user", "u")],
    ];

    private List<string> EmittedSpecialTokens()
    {
        var text = new System.Text.StringBuilder();
        foreach (var probe in Probes)
            foreach (bool generationPrompt in new[] { false, true })
                if (TryRender(probe, generationPrompt) is { } rendered) text.Append(rendered).Append('\n');
        var all = text.ToString();
        var emitted = new List<string>();
        foreach (var token in DeclaredSpecialTokens())
            if (all.Contains(token, StringComparison.Ordinal)) emitted.Add(token);
        return emitted;
    }

    private List<string> DeclaredSpecialTokens()
    {
        var tokens = new List<string>();
        foreach (var token in (IEnumerable<string?>)[.. AdditionalSpecialTokens, BosToken, EosToken])
            if (!string.IsNullOrEmpty(token) && !tokens.Contains(token)) tokens.Add(token);
        return tokens;
    }

    // The first declared special token after an assistant answer: what the template closes a turn with.
    private string? FindEndOfTurn()
    {
        var rendered = TryRender([new("user", "u"), new("assistant", ContentMarker)], false);
        int at = rendered?.IndexOf(ContentMarker, StringComparison.Ordinal) ?? -1;
        if (at < 0) return null;
        var after = rendered!.AsSpan(at + ContentMarker.Length);
        string? best = null;
        int bestAt = int.MaxValue;
        foreach (var token in DeclaredSpecialTokens())
        {
            int i = after.IndexOf(token, StringComparison.Ordinal);
            if (i >= 0 && (i < bestAt || (i == bestAt && token.Length > best!.Length)))
            {
                best = token;
                bestAt = i;
            }
        }
        return best;
    }

    private string? TryRender(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        try
        {
            return Render(messages, addGenerationPrompt);
        }
        catch (JinjaRenderException)
        {
            return null;
        }
    }
}
