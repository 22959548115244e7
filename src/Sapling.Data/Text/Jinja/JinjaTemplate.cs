namespace Sapling.Data.Text.Jinja;

/// <summary>
/// A parsed Jinja template, limited to the subset Hugging Face chat templates use (see docs in the parser and
/// lexer). Parsing refuses anything outside the subset with its line and column, so a template either renders as
/// Jinja would (with transformers' environment: trim_blocks, lstrip_blocks, its tojson and raise_exception) or
/// does not load at all.
/// </summary>
public sealed class JinjaTemplate
{
    private readonly IReadOnlyList<JinjaStatement> statements;

    private JinjaTemplate(IReadOnlyList<JinjaStatement> statements) => this.statements = statements;

    /// <exception cref="JinjaSyntaxException">The template is malformed or uses an unsupported construct.</exception>
    public static JinjaTemplate Parse(string source)
    {
        // Jinja normalises line endings in template data, and (keep_trailing_newline=False) drops one final newline.
        source = source.Replace("\r\n", "\n").Replace('\r', '\n');
        if (source.EndsWith('\n')) source = source[..^1];
        return new JinjaTemplate(JinjaParser.Parse(source));
    }

    /// <summary>The text for these variables: strings, numbers, bools, null, lists and string-keyed dictionaries.</summary>
    /// <param name="now">What strftime_now formats; the local time when not given, as transformers does.</param>
    /// <exception cref="JinjaRenderException">raise_exception was called, or a value was used where Jinja fails.</exception>
    public string Render(IReadOnlyDictionary<string, object?> variables, DateTime? now = null) => JinjaEvaluator.Render(statements, variables, now ?? DateTime.Now);
}
