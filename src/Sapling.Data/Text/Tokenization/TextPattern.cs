using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Sapling.Data.Json;

namespace Sapling.Data.Text.Tokenization;

/// <summary>One stretch of a text: a match of a pattern, or the text between two matches.</summary>
internal readonly record struct Segment(int Start, int End, bool IsMatch);

/// <summary>
/// What Split pre-tokenizers, Replace normalizers and decoders look for: a regex, a literal string or a character
/// test. <see cref="FindMatches"/> cuts a text into matches and the stretches between them, as Hugging Face's
/// <c>Pattern::find_matches</c> does (an empty text is one empty non-match).
/// </summary>
internal abstract class TextPattern
{
    public abstract void FindMatches(ReadOnlySpan<char> text, List<Segment> output);

    /// <summary>The same segments with match and non-match swapped (Split's <c>invert</c>).</summary>
    public TextPattern Inverted() => new InvertedPattern(this);

    /// <summary>Reads <c>{"String": "..."}</c> or <c>{"Regex": "..."}</c>.</summary>
    public static TextPattern Read(JsonSection section, string key)
    {
        var pattern = section.Object(key);
        if (pattern.OptionalString("String") is { } literal) return new LiteralPattern(literal);
        if (pattern.OptionalString("Regex") is { } regex) return RegexPattern.FromOniguruma(regex, pattern, "Regex");
        throw pattern.Error("neither {\"String\": ...} nor {\"Regex\": ...}");
    }

    protected static void AddTail(List<Segment> output, int previous, int length)
    {
        if (previous != length) output.Add(new Segment(previous, length, false));
    }
}

internal sealed class InvertedPattern(TextPattern inner) : TextPattern
{
    public override void FindMatches(ReadOnlySpan<char> text, List<Segment> output)
    {
        int from = output.Count;
        inner.FindMatches(text, output);
        for (int i = from; i < output.Count; i++) output[i] = output[i] with { IsMatch = !output[i].IsMatch };
    }
}

/// <summary>A literal string; an empty one matches nothing.</summary>
internal sealed class LiteralPattern(string literal) : TextPattern
{
    public string Literal { get; } = literal;

    public override void FindMatches(ReadOnlySpan<char> text, List<Segment> output)
    {
        if (Literal.Length == 0 || text.Length == 0)
        {
            output.Add(new Segment(0, text.Length, false));
            return;
        }
        int previous = 0;
        while (true)
        {
            int at = text[previous..].IndexOf(Literal, StringComparison.Ordinal);
            if (at < 0) break;
            at += previous;
            if (at != previous) output.Add(new Segment(previous, at, false));
            output.Add(new Segment(at, at + Literal.Length, true));
            previous = at + Literal.Length;
        }
        AddTail(output, previous, text.Length);
    }
}

/// <summary>Every code point that passes a test is a match of its own (Rust's <c>Fn(char) -> bool</c> pattern).</summary>
internal sealed class CharacterPattern(Func<int, bool> test) : TextPattern
{
    public override void FindMatches(ReadOnlySpan<char> text, List<Segment> output)
    {
        if (text.Length == 0)
        {
            output.Add(new Segment(0, 0, false));
            return;
        }
        int previous = 0;
        for (int i = 0; i < text.Length;)
        {
            int c = CharacterClasses.CodePointAt(text, i, out int length);
            if (test(c))
            {
                if (previous < i) output.Add(new Segment(previous, i, false));
                output.Add(new Segment(i, i + length, true));
                previous = i + length;
            }
            i += length;
        }
        AddTail(output, previous, text.Length);
    }
}

/// <summary>
/// A regex written for Oniguruma (the engine Hugging Face's tokenizers compile <c>Regex</c> patterns with), translated
/// to .NET's syntax: possessive quantifiers become atomic groups, <c>\w</c> takes every mark as Oniguruma's does, and
/// <c>^</c>/<c>$</c> are line anchors. .NET matches UTF-16 units, where <c>\p{L}</c> does not see an astral letter
/// (𝐀, 𠀀) as one, so a text holding surrogate pairs is matched through a stand-in where each astral code point is
/// one BMP character of the same general category, and the offsets are mapped back.
/// </summary>
internal sealed class RegexPattern : TextPattern
{
    private readonly Regex regex;
    private readonly bool usesStandIns;

    private RegexPattern(Regex regex, bool usesStandIns)
    {
        this.regex = regex;
        this.usesStandIns = usesStandIns;
    }

    public static RegexPattern FromOniguruma(string pattern, JsonSection where, string key)
    {
        string translated;
        try
        {
            translated = OnigurumaSyntax.ToDotNet(pattern);
        }
        catch (FormatException e)
        {
            throw where.Error(key, $"regex /{pattern}/ is not supported: {e.Message}");
        }
        try
        {
            var regex = new Regex(translated, RegexOptions.Compiled | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(10));
            // A pattern that names an astral character itself would be confused by the stand-ins.
            bool astralLiteral = pattern.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0 || pattern.Contains("\\x{1", StringComparison.Ordinal);
            return new RegexPattern(regex, !astralLiteral);
        }
        catch (ArgumentException e)
        {
            throw where.Error(key, $"regex /{pattern}/ does not compile ({e.Message})");
        }
    }

    public override void FindMatches(ReadOnlySpan<char> text, List<Segment> output)
    {
        if (text.Length == 0)
        {
            output.Add(new Segment(0, 0, false));
            return;
        }
        if (usesStandIns && text.IndexOfAnyInRange('\uD800', '\uDFFF') >= 0)
        {
            FindThroughStandIns(text, output);
            return;
        }
        int previous = 0;
        foreach (var m in regex.EnumerateMatches(text))
        {
            if (previous != m.Index) output.Add(new Segment(previous, m.Index, false));
            output.Add(new Segment(m.Index, m.Index + m.Length, true));
            previous = m.Index + m.Length;
        }
        AddTail(output, previous, text.Length);
    }

    private void FindThroughStandIns(ReadOnlySpan<char> text, List<Segment> output)
    {
        var proxy = new char[text.Length];
        var original = new int[text.Length + 1]; // proxy index → index in text
        int n = 0;
        for (int i = 0; i < text.Length;)
        {
            int c = CharacterClasses.CodePointAt(text, i, out int length);
            original[n] = i;
            proxy[n++] = length == 2 ? StandIn(c) : text[i];
            i += length;
        }
        original[n] = text.Length;
        int previous = 0;
        foreach (var m in regex.EnumerateMatches(proxy.AsSpan(0, n)))
        {
            int start = original[m.Index], end = original[m.Index + m.Length];
            if (previous != start) output.Add(new Segment(previous, start, false));
            output.Add(new Segment(start, end, true));
            previous = end;
        }
        AddTail(output, previous, text.Length);
    }

    /// <summary>A BMP character of the astral code point's general category, which no tokenizer regex names literally.</summary>
    private static char StandIn(int c) => Rune.GetUnicodeCategory(new Rune(c)) switch
    {
        UnicodeCategory.UppercaseLetter => '\uA640',
        UnicodeCategory.LowercaseLetter => '\uA641',
        UnicodeCategory.TitlecaseLetter => '\u01C5',
        UnicodeCategory.ModifierLetter => '\uA015',
        UnicodeCategory.OtherLetter => '\uA000',
        UnicodeCategory.NonSpacingMark => '\u0300',
        UnicodeCategory.SpacingCombiningMark => '\u0903',
        UnicodeCategory.EnclosingMark => '\u20DD',
        UnicodeCategory.DecimalDigitNumber => '\u0660',
        UnicodeCategory.LetterNumber => '\u2160',
        UnicodeCategory.OtherNumber => '\u2460',
        UnicodeCategory.ConnectorPunctuation => '\u203F',
        UnicodeCategory.DashPunctuation => '\u2010',
        UnicodeCategory.OpenPunctuation => '\u2045',
        UnicodeCategory.ClosePunctuation => '\u2046',
        UnicodeCategory.InitialQuotePunctuation => '\u2018',
        UnicodeCategory.FinalQuotePunctuation => '\u2019',
        UnicodeCategory.OtherPunctuation => '\u2030',
        UnicodeCategory.MathSymbol => '\u2200',
        UnicodeCategory.CurrencySymbol => '\u20A0',
        UnicodeCategory.ModifierSymbol => '\u02C2',
        UnicodeCategory.OtherSymbol => '\u2600',
        UnicodeCategory.Format => '\u200B',
        UnicodeCategory.PrivateUse => '\uE000',
        _ => '\u0378', // unassigned
    };
}
