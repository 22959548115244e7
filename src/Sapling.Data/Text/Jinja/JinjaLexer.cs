using System.Globalization;
using System.Text;

namespace Sapling.Data.Text.Jinja;

/// <summary>
/// Splits a template into text and tag tokens, applying whitespace control as Hugging Face's environment does:
/// transformers compiles chat templates with <c>trim_blocks=True</c> and <c>lstrip_blocks=True</c> (and Jinja's
/// default <c>keep_trailing_newline=False</c>), so this lexer follows those three settings, not Jinja's own defaults.
/// <list type="bullet">
/// <item>trim_blocks: the first newline after a block or comment tag (<c>%}</c>, <c>#}</c>) is removed; not after <c>}}</c>.</item>
/// <item>lstrip_blocks: spaces and tabs from the start of a line up to a block or comment tag are removed.</item>
/// <item><c>{%-</c> / <c>-%}</c> (and <c>{{-</c>, <c>-}}</c>, <c>{#-</c>, <c>-#}</c>) strip all whitespace on that side;
/// <c>{%+</c> turns lstrip off for one tag and <c>+%}</c> turns trim off.</item>
/// </list>
/// </summary>
internal sealed class JinjaLexer
{
    private static readonly string[] Operators = ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"];
    private readonly string source;
    private readonly SourcePosition.Map map;
    private readonly List<JinjaToken> tokens = [];
    private int pos;
    // True at the start of the template and after a tag whose end swallowed a newline: lstrip_blocks then applies
    // even though the text before the next tag holds no newline of its own (Jinja's own rule).
    private bool lineStarting = true;

    private JinjaLexer(string source)
    {
        this.source = source;
        map = new SourcePosition.Map(source);
    }

    public static List<JinjaToken> Tokenize(string source)
    {
        var lexer = new JinjaLexer(source);
        lexer.Run();
        return lexer.tokens;
    }

    private JinjaSyntaxException Error(string message, int offset)
    {
        var p = map.At(offset);
        return new JinjaSyntaxException(message, p.Line, p.Column);
    }

    private void Run()
    {
        while (true)
        {
            int open = NextTagStart(pos);
            if (open < 0)
            {
                AddText(source[pos..], pos);
                break;
            }
            char kind = source[open + 1];
            char modifier = open + 2 < source.Length ? source[open + 2] : '\0';
            // Jinja accepts "{{+" too, where the + changes nothing (lstrip_blocks never applies to expressions).
            bool hasModifier = modifier is '-' or '+';
            string text = source[pos..open];
            if (modifier == '-') text = text.TrimEnd();
            else if (modifier != '+' && kind != '{') text = StripLineIndent(text);
            AddText(text, pos);
            pos = open + 2 + (hasModifier ? 1 : 0);
            if (kind == '#') SkipComment(open);
            else LexTag(open, kind == '%');
        }
        tokens.Add(new JinjaToken(JinjaTokenKind.EndOfInput, "", null, map.At(source.Length)));
    }

    private int NextTagStart(int from)
    {
        for (int i = source.IndexOf('{', from); i >= 0 && i + 1 < source.Length; i = source.IndexOf('{', i + 1))
            if (source[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    private string StripLineIndent(string text)
    {
        int lineStart = text.LastIndexOf('\n') + 1;
        if (lineStart == 0 && !lineStarting) return text;
        for (int i = lineStart; i < text.Length; i++)
            if (text[i] is not (' ' or '\t')) return text;
        return text[..lineStart];
    }

    private void AddText(string text, int offset)
    {
        if (text.Length > 0) tokens.Add(new JinjaToken(JinjaTokenKind.Text, text, text, map.At(offset)));
    }

    private void SkipComment(int open)
    {
        int close = source.IndexOf("#}", pos, StringComparison.Ordinal);
        if (close < 0) throw Error("the comment '{#' is never closed with '#}'", open);
        char before = close > pos ? source[close - 1] : '\0';
        pos = close + 2;
        AfterTagEnd(stripAll: before == '-', trimNewline: before != '+');
    }

    /// <summary>Whitespace after a tag: all of it after a '-' marker, else one newline (trim_blocks) for block and comment tags.</summary>
    private void AfterTagEnd(bool stripAll, bool trimNewline)
    {
        int start = pos;
        if (stripAll)
            while (pos < source.Length && char.IsWhiteSpace(source[pos])) pos++;
        else if (trimNewline && pos < source.Length && source[pos] == '\n') pos++;
        lineStarting = pos > start && source[pos - 1] == '\n';
    }

    private void LexTag(int open, bool block)
    {
        tokens.Add(new JinjaToken(block ? JinjaTokenKind.BlockBegin : JinjaTokenKind.VariableBegin, block ? "{%" : "{{", null, map.At(open)));
        if (block) RefuseRaw(open);
        int depth = 0;
        while (true)
        {
            while (pos < source.Length && char.IsWhiteSpace(source[pos])) pos++;
            if (pos >= source.Length) throw Error(block ? "the tag '{%' is never closed with '%}'" : "the expression '{{' is never closed with '}}'", open);
            if (depth == 0 && TagEnd(block)) return;
            LexExpressionToken(ref depth);
        }
    }

    private void RefuseRaw(int open)
    {
        int i = pos;
        while (i < source.Length && char.IsWhiteSpace(source[i])) i++;
        if (string.CompareOrdinal(source, i, "raw", 0, 3) == 0 && (i + 3 >= source.Length || !IsNameChar(source[i + 3])))
            throw Error("{% raw %} blocks are not supported by Sapling's Jinja subset", open);
    }

    private bool TagEnd(bool block)
    {
        string close = block ? "%}" : "}}";
        int at = pos;
        char marker = source[at];
        if ((marker == '-' || (block && marker == '+')) && string.CompareOrdinal(source, at + 1, close, 0, 2) == 0)
        {
            tokens.Add(new JinjaToken(block ? JinjaTokenKind.BlockEnd : JinjaTokenKind.VariableEnd, close, null, map.At(at)));
            pos = at + 3;
            AfterTagEnd(stripAll: marker == '-', trimNewline: false);
            return true;
        }
        if (string.CompareOrdinal(source, at, close, 0, 2) != 0) return false;
        tokens.Add(new JinjaToken(block ? JinjaTokenKind.BlockEnd : JinjaTokenKind.VariableEnd, close, null, map.At(at)));
        pos = at + 2;
        AfterTagEnd(stripAll: false, trimNewline: block);
        return true;
    }

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    private void LexExpressionToken(ref int depth)
    {
        int start = pos;
        char c = source[pos];
        if (char.IsAsciiLetter(c) || c == '_')
        {
            while (pos < source.Length && IsNameChar(source[pos])) pos++;
            Add(JinjaTokenKind.Name, source[start..pos], null, start);
        }
        else if (char.IsAsciiDigit(c)) LexNumber(start);
        else if (c is '\'' or '"') LexString(start, c);
        else
        {
            foreach (var op in Operators)
            {
                if (string.CompareOrdinal(source, pos, op, 0, op.Length) != 0) continue;
                if (op is "(" or "[" or "{") depth++;
                else if (op is ")" or "]" or "}")
                {
                    if (depth == 0) throw Error($"unexpected '{op}'", start);
                    depth--;
                }
                pos += op.Length;
                Add(JinjaTokenKind.Operator, op, null, start);
                return;
            }
            throw Error($"unexpected character '{c}'", start);
        }
    }

    private void Add(JinjaTokenKind kind, string text, object? value, int offset) => tokens.Add(new JinjaToken(kind, text, value, map.At(offset)));

    private void LexNumber(int start)
    {
        while (pos < source.Length && (char.IsAsciiDigit(source[pos]) || source[pos] == '_')) pos++;
        bool isFloat = false;
        if (pos + 1 < source.Length && source[pos] == '.' && char.IsAsciiDigit(source[pos + 1]))
        {
            isFloat = true;
            pos++;
            while (pos < source.Length && (char.IsAsciiDigit(source[pos]) || source[pos] == '_')) pos++;
        }
        if (pos < source.Length && source[pos] is 'e' or 'E')
        {
            int e = pos + 1;
            if (e < source.Length && source[e] is '+' or '-') e++;
            if (e < source.Length && char.IsAsciiDigit(source[e]))
            {
                isFloat = true;
                pos = e;
                while (pos < source.Length && char.IsAsciiDigit(source[pos])) pos++;
            }
        }
        string text = source[start..pos];
        string digits = text.Replace("_", "");
        if (isFloat) Add(JinjaTokenKind.Float, text, double.Parse(digits, CultureInfo.InvariantCulture), start);
        else if (long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long value)) Add(JinjaTokenKind.Integer, text, value, start);
        else throw Error($"the integer {text} is too large", start);
    }

    /// <summary>A quoted string; escapes follow Python's unicode-escape, which Jinja applies to literals (unknown escapes keep their backslash).</summary>
    private void LexString(int start, char quote)
    {
        var sb = new StringBuilder();
        pos++;
        while (true)
        {
            if (pos >= source.Length) throw Error("the string literal is never closed", start);
            char c = source[pos++];
            if (c == quote) break;
            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }
            if (pos >= source.Length) throw Error("the string literal is never closed", start);
            char e = source[pos++];
            switch (e)
            {
                case '\n': break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case 'x': sb.Append(HexEscape(2, start)); break;
                case 'u': sb.Append(HexEscape(4, start)); break;
                case 'U': sb.Append(HexEscape(8, start)); break;
                case 'N': throw Error("\\N{name} escapes are not supported by Sapling's Jinja subset", start);
                case >= '0' and <= '7':
                    int value = e - '0';
                    for (int k = 0; k < 2 && pos < source.Length && source[pos] is >= '0' and <= '7'; k++) value = value * 8 + (source[pos++] - '0');
                    sb.Append(char.ConvertFromUtf32(value));
                    break;
                default: sb.Append('\\').Append(e); break;
            }
        }
        Add(JinjaTokenKind.String, source[start..pos], sb.ToString(), start);
    }

    private string HexEscape(int digits, int start)
    {
        if (pos + digits > source.Length || !int.TryParse(source.AsSpan(pos, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code)
            || code > 0x10FFFF || code is >= 0xD800 and <= 0xDFFF)
            throw Error($"a malformed \\{(digits == 2 ? 'x' : digits == 4 ? 'u' : 'U')} escape in a string literal", start);
        pos += digits;
        return char.ConvertFromUtf32(code);
    }
}
