using System.Text;
using System.Text.RegularExpressions;

namespace Sapling.Data.Text;

/// <summary>
/// Normalises and filters documents, counting what each rule did: Unicode NFKC, ANSI escape sequences and control
/// characters removed, line endings fixed (\r\n and \r to \n), runs of spaces collapsed (line structure kept, at most
/// one blank line), and documents dropped when too short, too long or full of decoding damage.
/// </summary>
public sealed partial class TextCleaner(CleaningOptions? options = null)
{
    private readonly CleaningOptions options = options ?? new CleaningOptions();

    /// <summary>Counts per rule: documents changed or dropped, characters removed.</summary>
    public SortedDictionary<string, long> Report { get; } = new(StringComparer.Ordinal);

    [GeneratedRegex(@"\x1B(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1B]*(?:\x07|\x1B\\)|[@-Z\\-_])")]
    private static partial Regex AnsiEscape();

    [GeneratedRegex(@"[ \t\f\v\u00A0\u2000-\u200A\u3000]+")]
    private static partial Regex HorizontalSpace();

    [GeneratedRegex(@"\n{3,}")]
    private static partial Regex BlankLines();

    // UTF-8 read as Latin-1/Windows-1252: "Ã©", "â€™" and friends.
    [GeneratedRegex(@"Ã[\u0080-\u00BF]|â€|Â[\u00A0-\u00BF]")]
    private static partial Regex Mojibake();

    /// <summary>The cleaned document, or null when a rule drops it.</summary>
    public string? Clean(string document)
    {
        Count("documents read");
        string text = document;
        text = Apply("line endings fixed", text, t => t.Replace("\r\n", "\n").Replace('\r', '\n'));
        text = Apply("ANSI escapes removed", text, t => AnsiEscape().Replace(t, ""));
        text = Apply("control characters removed", text, RemoveControlCharacters);
        if (options.Nfkc) text = Apply("NFKC normalised", text, t => t.IsNormalized(NormalizationForm.FormKC) ? t : t.Normalize(NormalizationForm.FormKC));
        // Only changes inside the text count; trimming the ends of a document is not worth reporting.
        text = text.Trim();
        text = Apply("whitespace collapsed", text, t => BlankLines().Replace(string.Join('\n', HorizontalSpace().Replace(t, " ").Split('\n').Select(l => l.Trim())), "\n\n").Trim());
        if (BrokenFraction(text) > options.MaxBrokenFraction) return Drop("dropped: mojibake or replacement characters");
        int length = text.EnumerateRunes().Count();
        if (length < options.MinCharacters) return Drop("dropped: too short");
        if (length > options.MaxCharacters) return Drop("dropped: too long");
        Count("documents kept");
        return text;
    }

    private static string RemoveControlCharacters(string t)
    {
        var sb = new StringBuilder(t.Length);
        foreach (char c in t)
            if (c == '\n' || c == '\t' || !char.IsControl(c) && c != '\u200B' && c != '\uFEFF') sb.Append(c);
        return sb.ToString();
    }

    private static double BrokenFraction(string text)
    {
        if (text.Length == 0) return 0;
        int broken = Mojibake().Count(text) * 2;
        foreach (char c in text) if (c == '\uFFFD') broken++;
        return (double)broken / text.Length;
    }

    private string Apply(string rule, string text, Func<string, string> step)
    {
        var result = step(text);
        if (!ReferenceEquals(result, text) && result != text) Count(rule);
        return result;
    }

    private string? Drop(string rule)
    {
        Count(rule);
        return null;
    }

    private void Count(string rule) => Report[rule] = Report.GetValueOrDefault(rule) + 1;
}
