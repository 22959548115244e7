using System.Text;

namespace Sapling.Data.Text;

/// <summary>Reads plain-text corpora into documents.</summary>
public static class TextCorpus
{
    /// <summary>
    /// Documents separated by lines holding only <c>%</c> (the fortune format of the shared corpora). Line endings are
    /// normalised to \n and surrounding blank lines trimmed; empty documents are dropped.
    /// </summary>
    public static List<string> ReadPercentSeparated(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"corpus '{path}' not found", path);
        var documents = new List<string>();
        var current = new StringBuilder();
        void Flush()
        {
            var text = current.ToString().Trim('\n', '\r', ' ');
            if (text.Length > 0) documents.Add(text);
            current.Clear();
        }
        foreach (var raw in File.ReadLines(path, Encoding.UTF8))
        {
            var line = raw.TrimEnd('\r');
            if (line.Trim() == "%") Flush();
            else current.Append(line).Append('\n');
        }
        Flush();
        if (documents.Count == 0) throw new InvalidDataException($"{path}: no documents (expected text separated by lines holding '%')");
        return documents;
    }
}
