namespace Sapling.Data.Text.Jinja;

internal enum JinjaTokenKind
{
    /// <summary>Template data between tags, already trimmed by whitespace control.</summary>
    Text,
    BlockBegin,
    BlockEnd,
    VariableBegin,
    VariableEnd,
    Name,
    String,
    Integer,
    Float,
    /// <summary>Punctuation and operators: + - * / // % ** ~ == != &lt; &gt; &lt;= &gt;= = ( ) [ ] { } , . : |</summary>
    Operator,
    EndOfInput,
}

/// <summary>One lexed token; <see cref="Value"/> holds the decoded string or number of literals.</summary>
internal readonly record struct JinjaToken(JinjaTokenKind Kind, string Text, object? Value, SourcePosition Position)
{
    public bool Is(JinjaTokenKind kind, string text) => Kind == kind && Text == text;

    public bool IsOperator(string text) => Kind == JinjaTokenKind.Operator && Text == text;

    public bool IsName(string text) => Kind == JinjaTokenKind.Name && Text == text;

    public string Describe() => Kind switch
    {
        JinjaTokenKind.EndOfInput => "the end of the template",
        JinjaTokenKind.BlockEnd => "'%}'",
        JinjaTokenKind.VariableEnd => "'}}'",
        JinjaTokenKind.Text => "template text",
        _ => $"'{Text}'",
    };
}
