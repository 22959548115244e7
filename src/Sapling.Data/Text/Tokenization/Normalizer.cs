using System.Text;
using Sapling.Data.Json;

namespace Sapling.Data.Text.Tokenization;

/// <summary>
/// A tokenizer.json normalizer: rewrites text before pre-tokenisation (and the content of added tokens marked
/// <c>normalized</c>). Each kind below follows Hugging Face's component of the same name.
/// </summary>
internal abstract class Normalizer
{
    public abstract string Normalize(string text);

    public static Normalizer Read(JsonSection s) => s.Type switch
    {
        "Sequence" => new SequenceNormalizer(s.Objects("normalizers").Select(Read).ToArray()),
        "NFC" => new UnicodeNormalizer(NormalizationForm.FormC),
        "NFD" => new UnicodeNormalizer(NormalizationForm.FormD),
        "NFKC" => new UnicodeNormalizer(NormalizationForm.FormKC),
        "NFKD" => new UnicodeNormalizer(NormalizationForm.FormKD),
        "Lowercase" => new LowercaseNormalizer(),
        "StripAccents" => new StripAccentsNormalizer(),
        "BertNormalizer" => new BertNormalizer(s.Bool("clean_text", true), s.Bool("handle_chinese_chars", true),
            s.Has("strip_accents") ? s.Bool("strip_accents", false) : null, s.Bool("lowercase", true)),
        "Prepend" => new PrependNormalizer(s.String("prepend")),
        "Replace" => new ReplaceNormalizer(TextPattern.Read(s, "pattern"), s.String("content")),
        "Strip" => new StripNormalizer(s.Bool("strip_left", false), s.Bool("strip_right", false)),
        "Nmt" => new NmtNormalizer(),
        "ByteLevel" => new ByteLevelNormalizer(),
        "Precompiled" => PrecompiledNormalizer.FromJson(s),
        var other => throw s.Error("type", $"normalizer '{other}' is not supported"),
    };

    /// <summary>Rebuilds the text code point by code point; <paramref name="map"/> appends each one's replacement.</summary>
    protected static string MapCodePoints(string text, Action<int, StringBuilder> map)
    {
        var output = new StringBuilder(text.Length + 8);
        for (int i = 0; i < text.Length;)
        {
            int c = CharacterClasses.CodePointAt(text, i, out int length);
            map(c, output);
            i += length;
        }
        return output.ToString();
    }

    protected static void Append(StringBuilder output, int c)
    {
        if (c < 0x10000) output.Append((char)c);
        else output.Append(char.ConvertFromUtf32(c));
    }
}

internal sealed class SequenceNormalizer(Normalizer[] steps) : Normalizer
{
    public override string Normalize(string text)
    {
        foreach (var step in steps) text = step.Normalize(text);
        return text;
    }
}

internal sealed class UnicodeNormalizer(NormalizationForm form) : Normalizer
{
    public override string Normalize(string text) => text.IsNormalized(form) ? text : text.Normalize(form);
}

/// <summary>Full Unicode lowercasing, one code point at a time (İ becomes i + combining dot, as in Rust).</summary>
internal sealed class LowercaseNormalizer : Normalizer
{
    public override string Normalize(string text)
    {
        if (Ascii.IsValid(text))
        {
            bool hasUpper = false;
            foreach (char c in text) hasUpper |= char.IsAsciiLetterUpper(c);
            return hasUpper ? text.ToLowerInvariant() : text;
        }
        return MapCodePoints(text, static (c, output) =>
        {
            if (c == 0x130) output.Append("i\u0307");
            else Append(output, c < 0x10000 ? char.ToLowerInvariant((char)c) : Rune.ToLowerInvariant(new Rune(c)).Value);
        });
    }
}

/// <summary>Removes combining marks (meant to follow NFD or NFKD).</summary>
internal sealed class StripAccentsNormalizer : Normalizer
{
    public override string Normalize(string text) => MapCodePoints(text, static (c, output) =>
    {
        if (!CharacterClasses.IsMark(c)) Append(output, c);
    });
}

/// <summary>
/// BERT's cleaning: drops NUL, U+FFFD and control characters, turns whitespace into spaces, surrounds CJK ideographs
/// with spaces, strips accents (by default when lowercasing) and lowercases.
/// </summary>
internal sealed class BertNormalizer(bool cleanText, bool handleChineseChars, bool? stripAccents, bool lowercase) : Normalizer
{
    private static readonly LowercaseNormalizer Lower = new();

    public override string Normalize(string text)
    {
        if (cleanText)
            text = MapCodePoints(text, static (c, output) =>
            {
                if (c is 0 or 0xFFFD) return;
                bool whitespace = c is '\t' or '\n' or '\r' || CharacterClasses.IsWhitespace(c);
                if (!whitespace && CharacterClasses.IsOther(c)) return;
                Append(output, whitespace ? ' ' : c);
            });
        if (handleChineseChars)
            text = MapCodePoints(text, static (c, output) =>
            {
                if (IsChinese(c)) output.Append(' ');
                Append(output, c);
                if (IsChinese(c)) output.Append(' ');
            });
        if (stripAccents ?? lowercase)
            text = MapCodePoints(text.Normalize(NormalizationForm.FormD), static (c, output) =>
            {
                if (!CharacterClasses.IsNonspacingMark(c)) Append(output, c);
            });
        return lowercase ? Lower.Normalize(text) : text;
    }

    private static bool IsChinese(int c) => c is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF)
        or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B920 and <= 0x2CEAF) or (>= 0xF900 and <= 0xFAFF)
        or (>= 0x2F800 and <= 0x2FA1F);
}

internal sealed class PrependNormalizer(string prefix) : Normalizer
{
    public override string Normalize(string text) => text.Length == 0 ? text : prefix + text;
}

internal sealed class ReplaceNormalizer(TextPattern pattern, string content) : Normalizer
{
    public TextPattern Pattern { get; } = pattern;
    public string Content { get; } = content;

    public override string Normalize(string text) => Replace(text, Pattern, Content);

    /// <summary>Every match replaced by the content, taken literally (no $1 substitutions).</summary>
    public static string Replace(string text, TextPattern pattern, string content)
    {
        var segments = new List<Segment>();
        pattern.FindMatches(text, segments);
        if (segments.Count == 1 && !segments[0].IsMatch) return text;
        var output = new StringBuilder(text.Length);
        foreach (var s in segments)
        {
            if (s.IsMatch) output.Append(content);
            else output.Append(text, s.Start, s.End - s.Start);
        }
        return output.ToString();
    }
}

internal sealed class StripNormalizer(bool left, bool right) : Normalizer
{
    public override string Normalize(string text)
    {
        int start = 0, end = text.Length;
        if (left)
            while (start < end)
            {
                int c = CharacterClasses.CodePointAt(text, start, out int length);
                if (!CharacterClasses.IsWhitespace(c)) break;
                start += length;
            }
        if (right)
            while (end > start)
            {
                int c = CharacterClasses.CodePointBefore(text, end, out int length);
                if (!CharacterClasses.IsWhitespace(c)) break;
                end -= length;
            }
        return start == 0 && end == text.Length ? text : text[start..end];
    }
}

/// <summary>SentencePiece's nmt cleaning: drops ASCII controls and turns other separators into spaces.</summary>
internal sealed class NmtNormalizer : Normalizer
{
    public override string Normalize(string text) => MapCodePoints(text, static (c, output) =>
    {
        if (c is (>= 0x01 and <= 0x08) or 0x0B or (>= 0x0E and <= 0x1F) or 0x7F or 0x8F or 0x9F) return;
        bool space = c is 0x09 or 0x0A or 0x0C or 0x0D or 0x1680 or (>= 0x200B and <= 0x200F) or 0x2028 or 0x2029 or 0x2581 or 0xFEFF or 0xFFFD;
        Append(output, space ? ' ' : c);
    });
}

/// <summary>Every UTF-8 byte shown as its byte-level character, as GPT-2's vocabulary spells them.</summary>
internal sealed class ByteLevelNormalizer : Normalizer
{
    public override string Normalize(string text) => ByteLevelPreTokenizer.ToByteLevel(text);
}
