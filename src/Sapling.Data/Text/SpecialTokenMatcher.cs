using System.Text.RegularExpressions;

namespace Sapling.Data.Text;

/// <summary>Finds special tokens in raw text; they are cut out before pre-tokenisation, as Hugging Face does.</summary>
internal static class SpecialTokenMatcher
{
    /// <summary>A pattern matching any of the tokens, longest first so one token that prefixes another loses; null for none.</summary>
    public static Regex? Build(IReadOnlyList<string> specials)
    {
        if (specials.Count == 0) return null;
        var alternatives = specials.OrderByDescending(s => s.Length).ThenBy(s => s, StringComparer.Ordinal).Select(Regex.Escape);
        return new Regex(string.Join("|", alternatives), RegexOptions.Compiled | RegexOptions.CultureInvariant);
    }

    /// <summary>Encodes text piece by piece: ordinary stretches by <paramref name="encodeOrdinary"/>, each special token as its one id.</summary>
    public static int[] Encode(string text, Regex? pattern, Func<string, int> specialId, Action<ReadOnlySpan<char>, List<int>> encodeOrdinary, int capacity)
    {
        var result = new List<int>(capacity);
        int pos = 0;
        if (pattern != null)
            foreach (var m in pattern.EnumerateMatches(text))
            {
                encodeOrdinary(text.AsSpan(pos, m.Index - pos), result);
                result.Add(specialId(text.Substring(m.Index, m.Length)));
                pos = m.Index + m.Length;
            }
        encodeOrdinary(text.AsSpan(pos), result);
        return result.ToArray();
    }
}
