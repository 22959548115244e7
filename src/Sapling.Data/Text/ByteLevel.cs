using System.Text.RegularExpressions;

namespace Sapling.Data.Text;

/// <summary>
/// GPT-2's byte-level conventions: every byte is shown as one printable character, so BPE runs on strings that can
/// hold any byte sequence and vocabularies read like GPT-2's ("Ġthe" is " the"), and the regex that splits text into
/// words before BPE so merges never cross a word, number or punctuation boundary.
/// </summary>
public static class ByteLevel
{
    private static readonly char[] byteToChar = BuildByteToChar();
    private static readonly short[] charToByte = BuildCharToByte(byteToChar);

    private const string WordRegex = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>
    /// GPT-2's pre-tokenisation pattern as a .NET regex. It matches UTF-16 code units, so an astral letter (a surrogate
    /// pair such as U+2070E) counts as punctuation here; the tokenizers use <see cref="Words"/>, which does not.
    /// </summary>
    public static Regex PreTokenizer { get; } = new(WordRegex, RegexOptions.Compiled | RegexOptions.CultureInvariant);

    /// <summary>GPT-2's pattern on whole code points (an astral letter is a letter), as Hugging Face's tokenizers match it.</summary>
    internal static Tokenization.TextPattern Words { get; } = Tokenization.RegexPattern.FromOniguruma(WordRegex,
        new Json.JsonSection(new System.Text.Json.Nodes.JsonObject(), "$", "GPT-2's word pattern"), "pattern");

    /// <summary>The 256 byte characters in ascending code-point order, which is GPT-2's id order for ids 0..255.</summary>
    public static IReadOnlyList<char> Alphabet { get; } = byteToChar.Order().ToArray();

    /// <summary>
    /// The printable character GPT-2 shows byte <paramref name="b"/> as (the byte itself when it is printable Latin-1).
    /// </summary>
    public static char ToChar(byte b) => byteToChar[b];

    /// <summary>
    /// The byte that character <paramref name="c"/> stands for; false when it is not one of the 256 byte characters.
    /// </summary>
    public static bool TryToByte(char c, out byte b)
    {
        if (c < charToByte.Length && charToByte[c] >= 0)
        {
            b = (byte)charToByte[c];
            return true;
        }
        b = 0;
        return false;
    }

    /// <summary>The byte-level string of some bytes, as it appears in a vocabulary.</summary>
    public static string ToByteLevel(ReadOnlySpan<byte> bytes)
    {
        return string.Create(bytes.Length, bytes.ToArray(), static (span, arr) =>
        {
            for (int i = 0; i < arr.Length; i++) span[i] = byteToChar[arr[i]];
        });
    }

    // Printable Latin-1 bytes keep their own character; the others (controls, space, NBSP, soft hyphen) are moved to
    // 256 + n in byte order, exactly as GPT-2's bytes_to_unicode does.
    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        var printable = new bool[256];
        for (int b = '!'; b <= '~'; b++) printable[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) printable[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) printable[b] = true;
        int n = 0;
        for (int b = 0; b < 256; b++) map[b] = printable[b] ? (char)b : (char)(256 + n++);
        return map;
    }

    private static short[] BuildCharToByte(char[] map)
    {
        var inverse = new short[256 + 68];
        Array.Fill(inverse, (short)-1);
        for (int b = 0; b < 256; b++) inverse[map[b]] = (short)b;
        return inverse;
    }
}
