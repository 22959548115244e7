using System.Text;

namespace Sapling.Data.Text;

/// <summary>The MIME content-transfer-encodings of text parts (RFC 2045 6.7 and 6.8), decoded to a string.</summary>
public static class TransferEncoding
{
    /// <summary>
    /// "=XX" bytes and "=" soft line breaks resolved, the bytes read in the part's charset (Latin-1 when unknown).
    /// Characters that arrive already decoded (8-bit text in a part that claims quoted-printable) are kept as they are.
    /// </summary>
    public static string DecodeQuotedPrintable(string text, string? charset)
    {
        var encoding = EncodingOf(charset);
        var output = new StringBuilder(text.Length);
        var bytes = new List<byte>();
        void Flush()
        {
            if (bytes.Count == 0) return;
            output.Append(encoding.GetString(bytes.ToArray()));
            bytes.Clear();
        }
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
            if (c < 0x80)
            {
                bytes.Add((byte)c);
                continue;
            }
            Flush();
            output.Append(c);
        }
        Flush();
        return output.ToString();
    }

    /// <summary>
    /// RFC 2047 encoded words in a header ("=?utf-8?B?...?=", "=?iso-8859-1?Q?...?="), decoded; the blanks between two
    /// adjacent encoded words go, as the RFC says. Malformed words are left as written.
    /// </summary>
    public static string DecodeEncodedWords(string header)
    {
        if (!header.Contains("=?", StringComparison.Ordinal)) return header;
        var output = new StringBuilder(header.Length);
        int i = 0;
        bool lastWasEncoded = false;
        while (i < header.Length)
        {
            int start = header.IndexOf("=?", i, StringComparison.Ordinal);
            if (start < 0)
            {
                output.Append(header, i, header.Length - i);
                break;
            }
            var between = header.AsSpan(i, start - i);
            if (!(lastWasEncoded && between.IsWhiteSpace())) output.Append(between);
            if (TryDecodeWord(header, start, out var decoded, out int end))
            {
                output.Append(decoded);
                lastWasEncoded = true;
                i = end;
            }
            else
            {
                output.Append("=?");
                lastWasEncoded = false;
                i = start + 2;
            }
        }
        return output.ToString();
    }

    // =?charset?encoding?text?= starting at start; end is just past the closing "?=".
    private static bool TryDecodeWord(string header, int start, out string decoded, out int end)
    {
        decoded = "";
        end = start;
        int q1 = header.IndexOf('?', start + 2);
        if (q1 < 0 || q1 + 2 >= header.Length || header[q1 + 2] != '?') return false;
        int close = header.IndexOf("?=", q1 + 3, StringComparison.Ordinal);
        if (close < 0) return false;
        var charset = header[(start + 2)..q1].Split('*')[0]; // RFC 2231 language suffix
        var payload = header[(q1 + 3)..close];
        char kind = char.ToUpperInvariant(header[q1 + 1]);
        if (kind == 'B')
        {
            if (TryBase64(payload, out var raw)) decoded = EncodingOf(charset).GetString(raw);
            else return false;
        }
        else if (kind == 'Q') decoded = DecodeQuotedPrintable(payload.Replace('_', ' '), charset);
        else return false;
        end = close + 2;
        return true;
    }

    /// <summary>The base64 body decoded in the part's charset; text that is not valid base64 is returned as it is.</summary>
    public static string DecodeBase64Text(string text, string? charset) =>
        TryBase64(text, out var bytes) ? EncodingOf(charset).GetString(bytes) : text;

    // Whitespace ignored and missing "=" padding restored (common in mail); false when it still is not base64.
    private static bool TryBase64(string text, out byte[] bytes)
    {
        var compact = new StringBuilder(text.Length + 3);
        foreach (char c in text)
            if (!char.IsWhiteSpace(c)) compact.Append(c);
        while (compact.Length % 4 != 0) compact.Append('=');
        try
        {
            bytes = Convert.FromBase64String(compact.ToString());
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }

    // Mail uses Windows and national code pages (windows-1252, koi8-r, gb2312, shift_jis...) that .NET only knows
    // once the code-page provider is registered.
    static TransferEncoding() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

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
