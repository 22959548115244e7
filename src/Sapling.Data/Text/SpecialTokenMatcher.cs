using System.Text.RegularExpressions;

namespace Sapling.Text;

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
}
