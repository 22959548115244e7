using System.Globalization;
using System.Text;

namespace Sapling.Data.Text.Jinja;

/// <summary>
/// Python's value semantics as Jinja exposes them, over the interpreter's value types: null (None), bool, long
/// (int), double (float), string, List&lt;object?&gt; (list and tuple), OrderedDictionary&lt;string, object?&gt;
/// (dict), <see cref="JinjaUndefined"/>, <see cref="JinjaNamespace"/> and <see cref="JinjaLoop"/>.
/// </summary>
internal static class JinjaValues
{
    /// <summary>Converts a .NET value handed to Render (dictionaries, lists, numbers) into the interpreter's types.</summary>
    public static object? From(object? value) => value switch
    {
        null or string or bool or long or double or JinjaUndefined or JinjaNamespace => value,
        int i => (long)i,
        float f => (double)f,
        OrderedDictionary<string, object?> d => d,
        IEnumerable<KeyValuePair<string, object?>> pairs => ToDictionary(pairs),
        System.Collections.IEnumerable items => ToList(items),
        _ => throw new ArgumentException($"a template variable of type {value.GetType().Name} is not supported"),
    };

    private static OrderedDictionary<string, object?> ToDictionary(IEnumerable<KeyValuePair<string, object?>> pairs)
    {
        var d = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (k, v) in pairs) d[k] = From(v);
        return d;
    }

    private static List<object?> ToList(System.Collections.IEnumerable items)
    {
        var list = new List<object?>();
        foreach (var item in items) list.Add(From(item));
        return list;
    }

    public static string TypeName(object? value) => value switch
    {
        null => "NoneType",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        JinjaTuple => "tuple",
        List<object?> => "list",
        OrderedDictionary<string, object?> => "dict",
        JinjaUndefined => "Undefined",
        JinjaNamespace => "Namespace",
        JinjaLoop => "LoopContext",
        _ => value.GetType().Name,
    };

    public static bool IsTruthy(object? value) => value switch
    {
        null or JinjaUndefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        OrderedDictionary<string, object?> d => d.Count > 0,
        _ => true,
    };

    public static bool IsNumber(object? value) => value is long or double or bool;

    public static double ToDouble(object? value) => value switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw new InvalidCastException(),
    };

    /// <summary>str(value) as Python writes it; Undefined is the empty string.</summary>
    public static string ToText(object? value) => value switch
    {
        string s => s,
        JinjaUndefined => "",
        null => "None",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FloatRepr(d),
        List<object?> or OrderedDictionary<string, object?> => Repr(value),
        JinjaNamespace ns => "<Namespace " + Repr(ns.Attributes) + ">",
        _ => value.ToString() ?? "",
    };

    /// <summary>repr(value): how Python writes values inside a list or dict.</summary>
    public static string Repr(object? value)
    {
        switch (value)
        {
            case string s:
                return StringRepr(s);
            case List<object?> list:
            {
                bool tuple = list is JinjaTuple;
                var sb = new StringBuilder(tuple ? "(" : "[");
                for (int i = 0; i < list.Count; i++) sb.Append(i > 0 ? ", " : "").Append(Repr(list[i]));
                if (tuple && list.Count == 1) sb.Append(',');
                return sb.Append(tuple ? ')' : ']').ToString();
            }
            case OrderedDictionary<string, object?> dict:
            {
                var sb = new StringBuilder("{");
                bool first = true;
                foreach (var (k, v) in dict)
                {
                    sb.Append(first ? "" : ", ").Append(StringRepr(k)).Append(": ").Append(Repr(v));
                    first = false;
                }
                return sb.Append('}').ToString();
            }
            case JinjaUndefined:
                return "Undefined";
            default:
                return ToText(value);
        }
    }

    private static string StringRepr(string s)
    {
        char quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var sb = new StringBuilder().Append(quote);
        foreach (char c in s)
        {
            if (c == quote || c == '\\') sb.Append('\\').Append(c);
            else if (c == '\n') sb.Append("\\n");
            else if (c == '\r') sb.Append("\\r");
            else if (c == '\t') sb.Append("\\t");
            else if (c < 0x20 || c == 0x7f) sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        return sb.Append(quote).ToString();
    }

    /// <summary>Python's float repr: the shortest round-trip digits, positional for exponents -4..15, else 1e+16 style.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        // Shortest round-trip digits come from "R"; its exponent placement differs from Python's, so re-place them.
        string shortest = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        int ePos = shortest.IndexOfAny(['E', 'e']);
        string mantissa = ePos >= 0 ? shortest[..ePos] : shortest;
        int exponent = ePos >= 0 ? int.Parse(shortest[(ePos + 1)..], CultureInfo.InvariantCulture) : 0;
        int dot = mantissa.IndexOf('.');
        string digits = dot >= 0 ? mantissa.Remove(dot, 1) : mantissa;
        int pointAt = (dot >= 0 ? dot : mantissa.Length) + exponent;
        int leadingZeros = 0;
        while (leadingZeros < digits.Length - 1 && digits[leadingZeros] == '0') leadingZeros++;
        digits = digits[leadingZeros..];
        pointAt -= leadingZeros;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        int decimalExponent = pointAt - 1;
        string sign = d < 0 ? "-" : "";
        if (decimalExponent is >= -4 and < 16)
        {
            string text;
            if (pointAt <= 0) text = "0." + new string('0', -pointAt) + digits;
            else if (pointAt >= digits.Length) text = digits + new string('0', pointAt - digits.Length) + ".0";
            else text = digits[..pointAt] + "." + digits[pointAt..];
            return sign + text;
        }
        string m = digits.Length > 1 ? digits[0] + "." + digits[1..] : digits;
        return sign + m + "e" + (decimalExponent < 0 ? "-" : "+") + Math.Abs(decimalExponent).ToString("00", CultureInfo.InvariantCulture);
    }

    /// <summary>Python's ==: numbers by value (True == 1), strings by code points, lists and dicts element-wise.</summary>
    public static bool AreEqual(object? a, object? b)
    {
        if (a is JinjaUndefined || b is JinjaUndefined) return a is JinjaUndefined && b is JinjaUndefined;
        if (a == null || b == null) return a == null && b == null;
        if (IsNumber(a) && IsNumber(b)) return a is long x && b is long y ? x == y : ToDouble(a) == ToDouble(b);
        switch (a)
        {
            case string s: return b is string t && s == t;
            case List<object?> l:
                if (b is not List<object?> m || l.Count != m.Count || (l is JinjaTuple) != (m is JinjaTuple)) return false;
                for (int i = 0; i < l.Count; i++)
                    if (!AreEqual(l[i], m[i])) return false;
                return true;
            case OrderedDictionary<string, object?> d:
                if (b is not OrderedDictionary<string, object?> e || d.Count != e.Count) return false;
                foreach (var (k, v) in d)
                    if (!e.TryGetValue(k, out var w) || !AreEqual(v, w)) return false;
                return true;
            default: return ReferenceEquals(a, b);
        }
    }

    /// <summary>Python's ordering for &lt; &gt; &lt;= &gt;=: numbers, strings (by code point) and lists; anything else is an error.</summary>
    public static int Compare(object? a, object? b, string op)
    {
        if (a is JinjaUndefined u) throw u.Error();
        if (b is JinjaUndefined v) throw v.Error();
        if (IsNumber(a) && IsNumber(b)) return a is long x && b is long y ? x.CompareTo(y) : ToDouble(a).CompareTo(ToDouble(b));
        if (a is string s && b is string t) return string.CompareOrdinal(s, t);
        if (a is List<object?> l && b is List<object?> m)
        {
            for (int i = 0; i < Math.Min(l.Count, m.Count); i++)
                if (!AreEqual(l[i], m[i])) return Compare(l[i], m[i], op);
            return l.Count.CompareTo(m.Count);
        }
        throw new JinjaRenderException($"'{op}' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    /// <summary>The items a for loop or filter walks: list items, dict keys, string characters; Undefined is empty.</summary>
    public static List<object?> Iterate(object? value) => value switch
    {
        List<object?> l => l,
        OrderedDictionary<string, object?> d => [.. d.Keys],
        string s => [.. CodePoints(s)],
        JinjaUndefined => [],
        _ => throw new JinjaRenderException($"'{TypeName(value)}' object is not iterable"),
    };

    public static long Length(object? value) => value switch
    {
        string s => CodePoints(s).Count,
        List<object?> l => l.Count,
        OrderedDictionary<string, object?> d => d.Count,
        JinjaUndefined => 0,
        JinjaNamespace ns => ns.Attributes.Count,
        _ => throw new JinjaRenderException($"object of type '{TypeName(value)}' has no len()"),
    };

    /// <summary>A string's characters as Python counts them: code points, so a surrogate pair is one character.</summary>
    public static List<string> CodePoints(string s)
    {
        var result = new List<string>(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                result.Add(s.Substring(i, 2));
                i++;
            }
            else result.Add(s[i].ToString());
        }
        return result;
    }

    public static bool Contains(object? container, object? item)
    {
        switch (container)
        {
            case string s:
                if (item is not string t) throw new JinjaRenderException($"'in <string>' requires string as left operand, not {TypeName(item)}");
                return s.Contains(t, StringComparison.Ordinal);
            case List<object?> l:
                foreach (var x in l)
                    if (AreEqual(x, item)) return true;
                return false;
            case OrderedDictionary<string, object?> d:
                return item is string k && d.ContainsKey(k);
            case JinjaUndefined:
                return false;
            default:
                throw new JinjaRenderException($"argument of type '{TypeName(container)}' is not iterable");
        }
    }

    /// <summary>Python's index normalisation: negative counts from the end; null when out of range.</summary>
    public static int? Index(long index, int count)
    {
        long i = index < 0 ? index + count : index;
        return i >= 0 && i < count ? (int)i : null;
    }
}
