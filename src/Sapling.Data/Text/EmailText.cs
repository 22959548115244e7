using System.Text;

namespace Sapling.Data.Text;

/// <summary>
/// Raw e-mail (RFC 822 headers, a blank line, the body; MIME parts per RFC 2045/2046) reduced to what a reader sees:
/// the Subject line and the text of the body. A classifier that reads only the first few hundred tokens would
/// otherwise spend them on routing headers, MIME boundaries and quoted-printable escapes.
/// </summary>
public static class EmailText
{
    /// <summary>
    /// The Subject, a blank line, then the body's text: multipart bodies lose their preamble, boundaries and part
    /// headers, text parts are decoded from quoted-printable or base64, other parts become a one-line marker such as
    /// "[attachment image/gif]". Text without a header block is returned unchanged.
    /// </summary>
    public static string StripHeaders(string raw)
    {
        var text = raw.Replace("\r\n", "\n");
        int end = text.IndexOf("\n\n", StringComparison.Ordinal);
        if (end < 0 || !LooksLikeHeader(text.AsSpan(0, end))) return raw;
        var headers = MimeHeaders.Parse(text[..end]);
        var body = new StringBuilder();
        AppendReadable(headers, text[(end + 2)..], body, depth: 0);
        var readable = body.ToString().Trim();
        string subject = TransferEncoding.DecodeEncodedWords(headers.Get("subject")?.Trim() ?? "");
        return subject.Length > 0 ? subject + "\n\n" + readable : readable;
    }

    // Nested multiparts deeper than this are kept as they are rather than followed (malformed or hostile mail).
    private const int MaxDepth = 8;

    private static void AppendReadable(MimeHeaders headers, string body, StringBuilder output, int depth)
    {
        var type = headers.ContentType;
        if (type.StartsWith("multipart/", StringComparison.Ordinal) && headers.Parameter("content-type", "boundary") is { Length: > 0 } boundary && depth < MaxDepth)
        {
            var parts = MultipartParts(body, boundary);
            // No delimiter at all: the declared boundary was wrong, so read the body as text.
            if (parts.Count == 0) AppendReadable(MimeHeaders.Empty, body, output, depth + 1);
            foreach (var part in parts)
            {
                // A part opens with its header lines, or with a blank line when it has none (then it is text/plain,
                // RFC 2046 5.1); a part of headers alone has no content to read.
                if (part.StartsWith('\n'))
                {
                    AppendReadable(MimeHeaders.Empty, part[1..], output, depth + 1);
                    continue;
                }
                int split = part.IndexOf("\n\n", StringComparison.Ordinal);
                if (split < 0) continue;
                AppendReadable(MimeHeaders.Parse(part[..split]), part[(split + 2)..], output, depth + 1);
            }
            return;
        }
        if (type == "message/rfc822" && depth < MaxDepth)
        {
            // A forwarded message: its subject and body are what the reader sees next.
            var inner = body.TrimStart('\n');
            int split = inner.IndexOf("\n\n", StringComparison.Ordinal);
            if (split >= 0 && LooksLikeHeader(inner.AsSpan(0, split)))
            {
                var innerHeaders = MimeHeaders.Parse(inner[..split]);
                if (innerHeaders.Get("subject") is { } innerSubject) output.Append(TransferEncoding.DecodeEncodedWords(innerSubject.Trim())).Append("\n\n");
                AppendReadable(innerHeaders, inner[(split + 2)..], output, depth + 1);
                return;
            }
        }
        if (type.Length > 0 && !type.StartsWith("text/", StringComparison.Ordinal) && !type.StartsWith("multipart/", StringComparison.Ordinal))
        {
            output.Append("[attachment ").Append(type).Append("]\n\n");
            return;
        }
        var decoded = headers.Get("content-transfer-encoding")?.Trim().ToLowerInvariant() switch
        {
            "quoted-printable" => TransferEncoding.DecodeQuotedPrintable(body, headers.Parameter("content-type", "charset")),
            "base64" => TransferEncoding.DecodeBase64Text(body, headers.Parameter("content-type", "charset")),
            _ => body,
        };
        output.Append(decoded.Trim()).Append("\n\n");
    }

    /// <summary>The parts between "--boundary" lines, without the preamble before the first or the epilogue after "--boundary--".</summary>
    private static List<string> MultipartParts(string body, string boundary)
    {
        var parts = new List<string>();
        string delimiter = "--" + boundary;
        int start = -1;
        int lineStart = 0;
        while (lineStart <= body.Length)
        {
            int lineEnd = body.IndexOf('\n', lineStart);
            if (lineEnd < 0) lineEnd = body.Length;
            var line = body.AsSpan(lineStart, lineEnd - lineStart).TrimEnd();
            if (line.StartsWith(delimiter, StringComparison.Ordinal))
            {
                if (start >= 0) parts.Add(body[start..Math.Max(start, lineStart - 1)]);
                if (line.Length >= delimiter.Length + 2 && line[delimiter.Length..].StartsWith("--", StringComparison.Ordinal)) return parts;
                start = Math.Min(lineEnd + 1, body.Length);
            }
            lineStart = lineEnd + 1;
        }
        // No closing delimiter (a truncated message): keep what follows the last boundary.
        if (start >= 0 && start < body.Length) parts.Add(body[start..]);
        return parts;
    }

    // Headers every real message carries at least one of; "Re: your order" alone is a sentence, not a header block.
    private static readonly string[] CommonHeaders = ["from:", "to:", "subject:", "date:", "received:", "return-path:", "message-id:", "mime-version:", "content-type:", "delivered-to:"];

    // A header block starts with "Name: value" or an mbox "From " line and names at least one common header.
    private static bool LooksLikeHeader(ReadOnlySpan<char> block)
    {
        int newline = block.IndexOf('\n');
        var first = newline < 0 ? block : block[..newline];
        int colon = first.IndexOf(':');
        if (!first.StartsWith("From ") && (colon <= 0 || first[..colon].Contains(' '))) return false;
        foreach (var line in block.EnumerateLines())
            foreach (var name in CommonHeaders)
                if (line.StartsWith(name, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }
}
