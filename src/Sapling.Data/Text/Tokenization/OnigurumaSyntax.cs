using System.Text;

namespace Sapling.Data.Text.Tokenization;

/// <summary>
/// Rewrites the Oniguruma (Ruby syntax) regexes found in tokenizer.json files into .NET's dialect. What differs and
/// is handled: possessive quantifiers (<c>\p{L}++</c>, <c>?+</c>) become atomic groups; a quantifier stacked on a
/// counted repetition (<c>X{3}+</c>) becomes a repetition of a group; <c>\w</c>/<c>\W</c> take all marks;
/// <c>\h</c>/<c>\H</c> are hexadecimal digits; <c>^</c>/<c>$</c> anchor at lines; <c>\x{HHHH}</c> code points. POSIX
/// bracket classes (<c>[[:alpha:]]</c>), <c>\G</c> and absent operators are refused with a FormatException naming them.
/// </summary>
internal static class OnigurumaSyntax
{
    private const string Word = @"\p{L}\p{M}\p{Nd}\p{Pc}";

    public static string ToDotNet(string pattern)
    {
        int i = 0;
        var result = Sequence(pattern, ref i, topLevel: true);
        if (i != pattern.Length) throw new FormatException($"unbalanced ')' at offset {i}");
        return result;
    }

    // Translates atoms and their quantifiers until the end or a closing parenthesis.
    private static string Sequence(string p, ref int i, bool topLevel)
    {
        var output = new StringBuilder();
        while (i < p.Length)
        {
            char c = p[i];
            if (c == ')')
            {
                if (topLevel) throw new FormatException($"unbalanced ')' at offset {i}");
                return output.ToString();
            }
            if (c == '|')
            {
                output.Append('|');
                i++;
                continue;
            }
            string atom = Atom(p, ref i);
            if (i < p.Length && IsQuantifierStart(p, i))
            {
                string quantifier = Quantifier(p, ref i);
                bool counted = quantifier[0] == '{';
                if (i < p.Length && p[i] == '+')
                {
                    i++;
                    // Possessive in Oniguruma, except after {n,m}, where it is another quantifier (one or more).
                    output.Append(counted ? $"(?:{atom}{quantifier})+" : $"(?>{atom}{quantifier})");
                }
                else if (i < p.Length && p[i] == '?')
                {
                    i++;
                    output.Append(atom).Append(quantifier).Append('?');
                }
                else output.Append(atom).Append(quantifier);
                if (i < p.Length && IsQuantifierStart(p, i) && p[i] != '{')
                    throw new FormatException($"stacked quantifier '{p[i]}' at offset {i}");
            }
            else output.Append(atom);
        }
        if (!topLevel) throw new FormatException("a group is not closed");
        return output.ToString();
    }

    private static bool IsQuantifierStart(string p, int i) => p[i] is '*' or '+' or '?' || (p[i] == '{' && CountedEnd(p, i) > 0);

    // The end (exclusive) of {n}, {n,} or {n,m} at i, or -1 when the brace is a literal.
    private static int CountedEnd(string p, int i)
    {
        int j = i + 1;
        while (j < p.Length && char.IsAsciiDigit(p[j])) j++;
        if (j == i + 1) return -1;
        if (j < p.Length && p[j] == ',')
        {
            j++;
            while (j < p.Length && char.IsAsciiDigit(p[j])) j++;
        }
        return j < p.Length && p[j] == '}' ? j + 1 : -1;
    }

    private static string Quantifier(string p, ref int i)
    {
        if (p[i] == '{')
        {
            int end = CountedEnd(p, i);
            var q = p[i..end];
            i = end;
            return q;
        }
        return p[i++].ToString();
    }

    private static string Atom(string p, ref int i)
    {
        char c = p[i];
        switch (c)
        {
            case '(':
                return Group(p, ref i);
            case '[':
                return CharacterClass(p, ref i);
            case '\\':
                return Escape(p, ref i, inClass: false);
            case '^':
                i++;
                return "(?m:^)";
            case '$':
                i++;
                return "(?m:$)";
            default:
                if (char.IsHighSurrogate(c) && i + 1 < p.Length)
                {
                    i += 2;
                    return "(?:" + p.Substring(i - 2, 2) + ")";
                }
                i++;
                return c.ToString();
        }
    }

    private static string Group(string p, ref int i)
    {
        int start = i++;
        string head = "(";
        if (i < p.Length && p[i] == '?')
        {
            int j = i + 1;
            if (j < p.Length && p[j] is ':' or '=' or '!' or '>') j++;
            else if (j + 1 < p.Length && p[j] == '<' && p[j + 1] is '=' or '!') j += 2;
            else if (j < p.Length && p[j] is '<' or '\'' && j + 1 < p.Length && char.IsAsciiLetter(p[j + 1]))
            {
                char close = p[j] == '<' ? '>' : '\'';
                int end = p.IndexOf(close, j + 1);
                if (end < 0) throw new FormatException($"unterminated group name at offset {start}");
                j = end + 1;
            }
            else if (j < p.Length && p[j] == '~') throw new FormatException($"the absent operator (?~...) at offset {start}");
            else
            {
                // Inline options: (?i) (?i:...) (?-i:...); Oniguruma's 'm' is .NET's 's' (dot matches newline).
                while (j < p.Length && p[j] is 'i' or 'm' or 'x' or '-') j++;
                if (j >= p.Length || p[j] is not (':' or ')')) throw new FormatException($"group syntax '{p[start..Math.Min(p.Length, j + 1)]}' at offset {start}");
                string options = p[(i + 1)..j].Replace('m', 's');
                if (p[j] == ')')
                {
                    i = j + 1;
                    return $"(?{options})";
                }
                j++;
                head = $"(?{options}:";
                i = j;
                goto body;
            }
            head = p[start..j];
            i = j;
        }
    body:
        string inner = Sequence(p, ref i, topLevel: false);
        if (i >= p.Length || p[i] != ')') throw new FormatException($"the group at offset {start} is not closed");
        i++;
        return head + inner + ")";
    }

    private static string CharacterClass(string p, ref int i)
    {
        int start = i;
        var output = new StringBuilder("[");
        i++;
        if (i < p.Length && p[i] == '^') { output.Append('^'); i++; }
        if (i < p.Length && p[i] == ']') { output.Append(@"\]"); i++; }
        while (i < p.Length && p[i] != ']')
        {
            if (p[i] == '[')
            {
                if (i + 1 < p.Length && p[i + 1] == ':') throw new FormatException($"POSIX bracket class at offset {i}");
                throw new FormatException($"nested character class at offset {i}");
            }
            if (p[i] == '&' && i + 1 < p.Length && p[i + 1] == '&') throw new FormatException($"character class intersection '&&' at offset {i}");
            if (p[i] == '\\') output.Append(Escape(p, ref i, inClass: true));
            else output.Append(p[i++]);
        }
        if (i >= p.Length) throw new FormatException($"the character class at offset {start} is not closed");
        i++;
        return output.Append(']').ToString();
    }

    private static string Escape(string p, ref int i, bool inClass)
    {
        if (i + 1 >= p.Length) throw new FormatException("a trailing backslash");
        char e = p[i + 1];
        i += 2;
        switch (e)
        {
            case 'w': return inClass ? Word : $"[{Word}]";
            case 'W':
                if (inClass) throw new FormatException(@"\W inside a character class");
                return $"[^{Word}]";
            case 'h': return inClass ? "0-9a-fA-F" : "[0-9a-fA-F]";
            case 'H':
                if (inClass) throw new FormatException(@"\H inside a character class");
                return "[^0-9a-fA-F]";
            case 'G': throw new FormatException(@"\G (match start anchor)");
            case 'K': throw new FormatException(@"\K (keep)");
            case 'R': throw new FormatException(@"\R (generic newline)");
            case 'X': throw new FormatException(@"\X (grapheme cluster)");
            case 'x' when i < p.Length && p[i] == '{':
            {
                int end = p.IndexOf('}', i);
                if (end < 0) throw new FormatException(@"unterminated \x{...}");
                int code = Convert.ToInt32(p[(i + 1)..end], 16);
                i = end + 1;
                if (code < 0x10000) return $"\\u{code:X4}";
                if (inClass) throw new FormatException(@"an astral \x{...} inside a character class");
                return "(?:" + char.ConvertFromUtf32(code) + ")";
            }
            case 'p' or 'P' when i < p.Length && p[i] == '{':
            {
                int end = p.IndexOf('}', i);
                if (end < 0) throw new FormatException(@"unterminated \p{...}");
                string name = p[(i + 1)..end];
                i = end + 1;
                bool negated = e == 'P' ^ name.StartsWith('^');
                name = name.TrimStart('^');
                string body = name switch
                {
                    "Word" => Word,
                    "Alpha" or "Alphabetic" => @"\p{L}\p{Nl}",
                    "Digit" => @"\p{Nd}",
                    "Space" => @"\s",
                    "Punct" => @"\p{P}",
                    _ => $"\\p{{{name}}}",
                };
                if (body.StartsWith("\\p{", StringComparison.Ordinal) && body.Count(ch => ch == '\\') == 1)
                    return negated ? $"\\P{{{name}}}" : body;
                if (inClass && negated) throw new FormatException($@"negated \p{{{name}}} inside a character class");
                return inClass ? body : negated ? $"[^{body}]" : $"[{body}]";
            }
            default:
                return "\\" + e;
        }
    }
}
