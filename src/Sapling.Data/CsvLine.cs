using System.Text;

namespace Sapling.Data;

/// <summary>
/// One line of a CSV file split into its fields as RFC 4180 reads them: a field in double quotes may hold the
/// separator, and a doubled quote inside it stands for one; spaces around a field are dropped. The one splitter every
/// CSV reader in Sapling uses, so a quoted label such as <c>"cats, big"</c> stays one field everywhere.
/// </summary>
public static class CsvLine
{
    /// <summary>
    /// <paramref name="field"/> as a CSV field: in double quotes (inner quotes doubled) when it holds the separator, a
    /// quote, a line break or spaces at either end, so <see cref="Split"/> reads it back unchanged (a line break is
    /// quoted too, but the line-by-line readers refuse it); otherwise as it is.
    /// </summary>
    public static string Quote(string field, char separator = ',')
    {
        ArgumentNullException.ThrowIfNull(field);
        bool plain = field.AsSpan().IndexOfAny(separator, '"', '\n') < 0 && field.IndexOf('\r') < 0
            && (field.Length == 0 || !char.IsWhiteSpace(field[0]) && !char.IsWhiteSpace(field[^1]));
        return plain ? field : "\"" + field.Replace("\"", "\"\"") + "\"";
    }

    /// <summary>
    /// The fields of <paramref name="line"/>. Throws <see cref="FormatException"/> for a quoted field left open at the
    /// end of the line (a field spanning lines is not read) or text after a field's closing quote.
    /// </summary>
    public static string[] Split(string line, char separator = ',')
    {
        ArgumentNullException.ThrowIfNull(line);
        var fields = new List<string>();
        StringBuilder? quoted = null;
        int i = 0;
        while (true)
        {
            int start = i;
            while (i < line.Length && line[i] != separator && char.IsWhiteSpace(line[i])) i++;
            if (i < line.Length && line[i] == '"')
            {
                quoted ??= new StringBuilder();
                quoted.Clear();
                for (i++; ; i++)
                {
                    if (i >= line.Length) throw new FormatException($"the quoted field starting at column {start + 1} is not closed on this line");
                    if (line[i] != '"') quoted.Append(line[i]);
                    else if (i + 1 < line.Length && line[i + 1] == '"') quoted.Append(line[++i]);
                    else break;
                }
                for (i++; i < line.Length && line[i] != separator; i++)
                    if (!char.IsWhiteSpace(line[i])) throw new FormatException($"text after the closing quote of a field, at column {i + 1}");
                fields.Add(quoted.ToString());
            }
            else
            {
                int end = line.IndexOf(separator, i);
                if (end < 0) end = line.Length;
                fields.Add(line[start..end].Trim());
                i = end;
            }
            if (i >= line.Length) return fields.ToArray();
            i++; // the separator
        }
    }
}
