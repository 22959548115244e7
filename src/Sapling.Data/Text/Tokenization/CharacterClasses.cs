using System.Globalization;
using System.Text;

namespace Sapling.Data.Text.Tokenization;

/// <summary>
/// The character tests Hugging Face's tokenizers make, on whole code points (Rust's <c>char</c>), so that an astral
/// letter or digit counts as one, as it does there. .NET's own <c>char</c> tests see half a surrogate pair.
/// </summary>
internal static class CharacterClasses
{
    /// <summary>Unicode White_Space (Rust's <c>char::is_whitespace</c>).</summary>
    public static bool IsWhitespace(int c) => c switch
    {
        >= 0x09 and <= 0x0D or 0x20 or 0x85 or 0xA0 or 0x1680 or (>= 0x2000 and <= 0x200A)
            or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000 => true,
        _ => false,
    };

    public static UnicodeCategory Category(int c) => c < 0x10000 ? CharUnicodeInfo.GetUnicodeCategory((char)c) : Rune.GetUnicodeCategory(new Rune(c));

    /// <summary>Rust's <c>char::is_numeric</c>: the general categories Nd, Nl and No.</summary>
    public static bool IsNumeric(int c) => Category(c) is UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;

    /// <summary>Hugging Face's punctuation test: ASCII punctuation (which includes $ + &lt; = &gt; ^ ` | ~) or any P* category.</summary>
    public static bool IsPunctuation(int c)
    {
        if (c < 0x80) return c is (>= 0x21 and <= 0x2F) or (>= 0x3A and <= 0x40) or (>= 0x5B and <= 0x60) or (>= 0x7B and <= 0x7E);
        return Category(c) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
            or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation
            or UnicodeCategory.OtherPunctuation;
    }

    /// <summary>The C* categories (Cc, Cf, Cs, Co, Cn): BertNormalizer's "control" test.</summary>
    public static bool IsOther(int c) => Category(c) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
        or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;

    public static bool IsNonspacingMark(int c) => Category(c) == UnicodeCategory.NonSpacingMark;

    /// <summary>Any mark (Mn, Mc, Me): what StripAccents removes after decomposition.</summary>
    public static bool IsMark(int c) => Category(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;

    /// <summary>
    /// The Unicode word character of Rust's regex <c>\w</c>: alphabetic (letters, letter numbers and the circled or
    /// squared letters that are Other_Alphabetic symbols), marks, decimal digits, connector punctuation and the joiners.
    /// </summary>
    public static bool IsWordCharacter(int c)
    {
        if (c < 0x80) return c is (>= '0' and <= '9') or (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or '_';
        if (c is 0x200C or 0x200D or (>= 0x24B6 and <= 0x24E9) or (>= 0x1F130 and <= 0x1F149) or (>= 0x1F150 and <= 0x1F169) or (>= 0x1F170 and <= 0x1F189)) return true;
        return Category(c) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.LetterNumber
                or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
                or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation => true,
            _ => false,
        };
    }

    /// <summary>The code point at <paramref name="index"/> and its length in UTF-16 units (a lone surrogate counts as itself).</summary>
    public static int CodePointAt(ReadOnlySpan<char> text, int index, out int length)
    {
        char c = text[index];
        if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
        {
            length = 2;
            return char.ConvertToUtf32(c, text[index + 1]);
        }
        length = 1;
        return c;
    }

    /// <summary>The code point ending just before <paramref name="end"/>.</summary>
    public static int CodePointBefore(ReadOnlySpan<char> text, int end, out int length)
    {
        char c = text[end - 1];
        if (char.IsLowSurrogate(c) && end >= 2 && char.IsHighSurrogate(text[end - 2]))
        {
            length = 2;
            return char.ConvertToUtf32(text[end - 2], c);
        }
        length = 1;
        return c;
    }

    /// <summary>
    /// The text with every lone surrogate replaced by U+FFFD, as any conversion to UTF-8 (which Hugging Face's Rust
    /// strings are) does; the same instance when there is none.
    /// </summary>
    public static string WellFormed(string text)
    {
        int first = text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
        if (first < 0) return text;
        var chars = text.ToCharArray();
        bool changed = false;
        for (int i = first; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1])) { i++; continue; }
            if (char.IsSurrogate(chars[i])) { chars[i] = '\uFFFD'; changed = true; }
        }
        return changed ? new string(chars) : text;
    }
}
