namespace Sapling.Data.Text;

/// <summary>
/// Reads a parallel corpus: JSONL with a source and a target field per line, or tab-separated lines (source, tab,
/// target; .tsv, plain or .gz). Lines without both sides are skipped and reported with their number.
/// </summary>
public static class ParallelText
{
    /// <param name="format">auto (by extension: .tsv → tsv, else jsonl), jsonl or tsv.</param>
    public static (List<ParallelPair> Pairs, List<SkippedRow> Skipped) Read(string path, string format = "auto", string sourceField = "source", string targetField = "target")
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"parallel corpus '{path}' not found", path);
        string name = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        if (format == "auto") format = name.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) ? "tsv" : "jsonl";
        if (format == "jsonl")
            return JsonlReader.Read(path, row => new ParallelPair(JsonlReader.RequiredString(row, sourceField), JsonlReader.RequiredString(row, targetField)));
        if (format != "tsv") throw new ArgumentException($"data.format '{format}' is not a parallel corpus format (auto, jsonl, tsv)");
        var pairs = new List<ParallelPair>();
        var skipped = new List<SkippedRow>();
        int lineNumber = 0;
        foreach (var line in DocumentSource.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            int tab = line.IndexOf('\t');
            if (tab < 0) skipped.Add(new SkippedRow(lineNumber, "no tab between source and target"));
            else if (line.IndexOf('\t', tab + 1) >= 0) skipped.Add(new SkippedRow(lineNumber, "more than one tab"));
            else if (string.IsNullOrWhiteSpace(line[..tab]) || string.IsNullOrWhiteSpace(line[(tab + 1)..])) skipped.Add(new SkippedRow(lineNumber, "empty source or target"));
            else pairs.Add(new ParallelPair(line[..tab].Trim(), line[(tab + 1)..].Trim()));
        }
        return (pairs, skipped);
    }
}
