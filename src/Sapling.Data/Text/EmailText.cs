namespace Sapling.Text;

/// <summary>Raw e-mail (RFC 822: header lines, a blank line, the body) reduced to what a reader sees.</summary>
public static class EmailText
{
    /// <summary>
    /// The body without the header block, after the Subject line (the one header that carries the writer's words).
    /// Text without a header block is returned unchanged.
    /// </summary>
    public static string StripHeaders(string raw)
    {
        var text = raw.Replace("\r\n", "\n");
        int end = text.IndexOf("\n\n", StringComparison.Ordinal);
        if (end < 0 || !LooksLikeHeader(text.AsSpan(0, Math.Min(text.Length, 200)))) return raw;
        string subject = "";
        foreach (var line in text[..end].Split('\n'))
            if (line.StartsWith("Subject:", StringComparison.OrdinalIgnoreCase))
            {
                subject = line["Subject:".Length..].Trim();
                break;
            }
        var body = text[(end + 2)..].Trim();
        return subject.Length > 0 ? subject + "\n\n" + body : body;
    }

    // A header block starts with "Name: value" or an mbox "From " line.
    private static bool LooksLikeHeader(ReadOnlySpan<char> start)
    {
        if (start.StartsWith("From ")) return true;
        int colon = start.IndexOf(':');
        int newline = start.IndexOf('\n');
        return colon > 0 && (newline < 0 || colon < newline) && !start[..colon].Contains(' ');
    }
}
