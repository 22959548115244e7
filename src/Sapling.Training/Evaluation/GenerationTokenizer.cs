using System.Text;

namespace Sapling.Training.Evaluation;

/// <summary>
/// Splits reference and hypothesis lines into the tokens BLEU and ROUGE-L count. Characters are Unicode code
/// points (not UTF-16 units), so characters outside the Basic Multilingual Plane, such as CJK Extension B, are one
/// token as they are in Python.
/// </summary>
public static class GenerationTokenizer
{
    /// <summary>The tokens of <paramref name="text"/> under <paramref name="mode"/>.</summary>
    public static string[] Tokenize(string text, TokenizeMode mode)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<string>();
        var word = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            if (IsSpace(rune))
            {
                Flush(word, tokens);
            }
            else if (mode == TokenizeMode.Char || (mode == TokenizeMode.Auto && IsCjk(rune.Value)))
            {
                Flush(word, tokens);
                tokens.Add(rune.ToString());
            }
            else
            {
                word.Append(rune.ToString());
            }
        }
        Flush(word, tokens);
        return tokens.ToArray();
    }

    /// <summary>Parses the CLI spelling: auto, char or whitespace.</summary>
    public static TokenizeMode ParseMode(string name) => name.ToLowerInvariant() switch
    {
        "auto" => TokenizeMode.Auto,
        "char" => TokenizeMode.Char,
        "whitespace" => TokenizeMode.Whitespace,
        _ => throw new ArgumentException($"unknown tokenization '{name}': use auto, char or whitespace"),
    };

    /// <summary>
    /// Python's str.split() also splits on the information separators U+001C..U+001F, which .NET does not count as
    /// white space; counting them keeps the token lists equal to the fixture script's.
    /// </summary>
    internal static bool IsSpace(Rune rune) => Rune.IsWhiteSpace(rune) || rune.Value is >= 0x1C and <= 0x1F;

    /// <summary>Scripts written without spaces between words, and the punctuation used with them.</summary>
    public static bool IsCjk(int codePoint) => codePoint switch
    {
        >= 0x1100 and <= 0x11FF => true,   // Hangul Jamo
        >= 0x2E80 and <= 0x2FDF => true,   // CJK and Kangxi radicals
        >= 0x3000 and <= 0x33FF => true,   // CJK punctuation, Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, enclosed and compatibility forms
        >= 0x3400 and <= 0x4DBF => true,   // CJK Extension A
        >= 0x4E00 and <= 0x9FFF => true,   // CJK Unified Ideographs
        >= 0xA960 and <= 0xA97F => true,   // Hangul Jamo Extended-A
        >= 0xAC00 and <= 0xD7FF => true,   // Hangul syllables and Jamo Extended-B
        >= 0xF900 and <= 0xFAFF => true,   // CJK compatibility ideographs
        >= 0xFE30 and <= 0xFE4F => true,   // CJK compatibility forms
        >= 0xFF00 and <= 0xFFEF => true,   // half-width and full-width forms
        >= 0x20000 and <= 0x3FFFF => true, // CJK Extensions B and later
        _ => false,
    };

    private static void Flush(StringBuilder word, List<string> tokens)
    {
        if (word.Length == 0) return;
        tokens.Add(word.ToString());
        word.Clear();
    }
}
