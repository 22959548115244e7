namespace Sapling.Data.Text;

/// <summary>
/// A header block of an e-mail or MIME part: names compared without case, folded lines (a continuation starts with
/// a space or tab) joined, and the parameters of structured values such as <c>Content-Type: text/plain; charset="x"</c>.
/// </summary>
public sealed class MimeHeaders
{
    private readonly Dictionary<string, string> values;

    private MimeHeaders(Dictionary<string, string> values) => this.values = values;

    /// <summary>A header block with no headers, e.g. for a part that has none.</summary>
    public static MimeHeaders Empty { get; } = new(new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase));

    /// <summary>Reads "Name: value" lines; the first occurrence of a name wins (later Received-style repeats are routing noise).</summary>
    public static MimeHeaders Parse(string block)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? current = null; // the header a folded line continues, null after a skipped repeat
        foreach (var line in block.Split('\n'))
        {
            if (line.Length > 0 && (line[0] == ' ' || line[0] == '\t'))
            {
                if (current != null) values[current] += " " + line.Trim();
                continue;
            }
            current = null;
            int colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var key = line[..colon].Trim();
            if (!values.TryAdd(key, line[(colon + 1)..].Trim())) continue;
            current = key;
        }
        return new MimeHeaders(values);
    }

    /// <summary>
    /// The value of header <paramref name="name"/> (any case), folded lines joined; null when absent.
    /// </summary>
    public string? Get(string name) => values.TryGetValue(name, out var value) ? value : null;

    /// <summary>The media type of Content-Type in lower case ("text/plain"), or "" when the header is absent.</summary>
    public string ContentType => Get("content-type") is { } value ? value.Split(';')[0].Trim().ToLowerInvariant() : "";

    /// <summary>A parameter of a structured header (boundary, charset), quotes removed; null when absent.</summary>
    public string? Parameter(string header, string parameter)
    {
        if (Get(header) is not { } value) return null;
        foreach (var piece in value.Split(';').Skip(1))
        {
            int eq = piece.IndexOf('=');
            if (eq <= 0 || !piece[..eq].Trim().Equals(parameter, StringComparison.OrdinalIgnoreCase)) continue;
            return piece[(eq + 1)..].Trim().Trim('"');
        }
        return null;
    }
}
