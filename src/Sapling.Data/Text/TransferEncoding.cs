using System.Text;

namespace Sapling.Text;

/// <summary>The MIME content-transfer-encodings of text parts (RFC 2045 6.7 and 6.8), decoded to a string.</summary>
public static class TransferEncoding
{
    /// <summary>"=XX" bytes and "=" soft line breaks resolved, the bytes read in the part's charset (Latin-1 when unknown).</summary>
    public static string DecodeQuotedPrintable(string text, string? charset)
    {
        var bytes = new List<byte>(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '=')
            {
                // A soft line break: "=" at the end of a line, possibly followed by trailing spaces.
                int j = i + 1;
                while (j < text.Length && (text[j] == ' ' || text[j] == '\t')) j++;
                if (j < text.Length && text[j] == '\n')
                {
                    i = j;
                    continue;
                }
                if (i + 2 < text.Length && IsHex(text[i + 1]) && IsHex(text[i + 2]))
                {
                    bytes.Add((byte)(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
                    i += 2;
                    continue;
                }
            }
            // Anything else (including a malformed "=") is kept as written, as RFC 2045 advises a robust decoder does.
            if (c < 0x80) bytes.Add((byte)c);
            else bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
        }
        return EncodingOf(charset).GetString(bytes.ToArray());
    }

    /// <summary>The base64 body decoded in the part's charset; text that is not valid base64 is returned as it is.</summary>
    public static string DecodeBase64Text(string text, string? charset)
    {
        var compact = new StringBuilder(text.Length);
        foreach (char c in text)
            if (!char.IsWhiteSpace(c)) compact.Append(c);
        try
        {
            return EncodingOf(charset).GetString(Convert.FromBase64String(compact.ToString()));
        }
        catch (FormatException)
        {
            return text;
        }
    }

    private static Encoding EncodingOf(string? charset)
    {
        // Mail labelled us-ascii often carries 8-bit bytes anyway; Latin-1 keeps them instead of turning them into '?'.
        if (charset != null && !charset.Trim().Equals("us-ascii", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return Encoding.GetEncoding(charset.Trim());
            }
            catch (ArgumentException)
            {
                // An unknown or misspelt charset: fall through to Latin-1, which maps every byte to a character.
            }
        }
        return Encoding.Latin1;
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
