using System.Globalization;
using System.Text;

namespace Sapling.Data.Text.Jinja;

/// <summary>
/// The tojson filter as transformers defines it (it replaces Jinja's HTML-escaping one): Python's
/// <c>json.dumps(x, ensure_ascii=False, indent=indent, sort_keys=sort_keys)</c> with the default separators.
/// </summary>
internal static class JinjaJson
{
    public static string Serialize(object? value, string? indent, bool sortKeys)
    {
        var sb = new StringBuilder();
        Write(sb, value, indent, sortKeys, 0);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, object? value, string? indent, bool sortKeys, int depth)
    {
        switch (value)
        {
            case null: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d:
                sb.Append(double.IsNaN(d) ? "NaN" : double.IsInfinity(d) ? (d > 0 ? "Infinity" : "-Infinity") : JinjaValues.FloatRepr(d));
                break;
            case string s: WriteString(sb, s); break;
            case List<object?> list:
                if (list.Count == 0)
                {
                    sb.Append("[]");
                    break;
                }
                sb.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    Separator(sb, i > 0, indent, depth + 1);
                    Write(sb, list[i], indent, sortKeys, depth + 1);
                }
                Close(sb, indent, depth).Append(']');
                break;
            case OrderedDictionary<string, object?> dict:
                if (dict.Count == 0)
                {
                    sb.Append("{}");
                    break;
                }
                var keys = new List<string>(dict.Keys);
                if (sortKeys) keys.Sort(StringComparer.Ordinal);
                sb.Append('{');
                for (int i = 0; i < keys.Count; i++)
                {
                    Separator(sb, i > 0, indent, depth + 1);
                    WriteString(sb, keys[i]);
                    sb.Append(": ");
                    Write(sb, dict[keys[i]], indent, sortKeys, depth + 1);
                }
                Close(sb, indent, depth).Append('}');
                break;
            default:
                throw new JinjaRenderException($"Object of type {JinjaValues.TypeName(value)} is not JSON serializable");
        }
    }

    // Without indent Python separates items with ", "; with one, with "," and a new indented line.
    private static void Separator(StringBuilder sb, bool notFirst, string? indent, int depth)
    {
        if (indent == null)
        {
            if (notFirst) sb.Append(", ");
            return;
        }
        if (notFirst) sb.Append(',');
        sb.Append('\n');
        for (int i = 0; i < depth; i++) sb.Append(indent);
    }

    private static StringBuilder Close(StringBuilder sb, string? indent, int depth)
    {
        if (indent == null) return sb;
        sb.Append('\n');
        for (int i = 0; i < depth; i++) sb.Append(indent);
        return sb;
    }

    // ensure_ascii=False: only quotes, backslashes and control characters are escaped.
    private static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
