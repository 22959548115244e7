using System.Globalization;
using System.Text;
using Sapling.Data;
using Sapling.IO;

namespace Sapling.Training.ActiveLearning;

/// <summary>
/// Folds a labelled suggestion file (<see cref="SuggestionFile"/>) into a training CSV, writing a new CSV in the training
/// layout (features, then the label; no header). Rows whose id is missing or whose label is not one of the training set's
/// classes are refused: the merge fails listing them and writes nothing, since a typo in a label would silently teach
/// the model a wrong class. Rows left unlabelled are skipped; an id labelled twice alike, or an item already in the
/// training set, is reported and added at most once.
/// </summary>
public static class LabelMerge
{
    private const int ShownProblems = 10;

    /// <summary>
    /// Merges the labelled rows of <paramref name="labelsPath"/> into the training CSV <paramref name="trainPath"/>,
    /// writing the result to <paramref name="outputPath"/>; returns what was added, left unlabelled and duplicated.
    /// </summary>
    public static MergeSummary Merge(string trainPath, string labelsPath, string outputPath)
    {
        var train = CsvTable.Read(trainPath, -1);
        var known = train.ClassNames.ToHashSet(StringComparer.Ordinal);
        var (header, rows) = ReadLabelled(labelsPath);
        int idColumn = Array.IndexOf(header, "id"), labelColumn = Array.IndexOf(header, "label");
        if (idColumn < 0 || labelColumn < 0) throw new InvalidDataException($"{labelsPath}: the header must name an id and a label column (as sapling label suggest writes), got {string.Join(",", header)}");
        var featureColumns = Enumerable.Range(0, header.Length).Where(c => !SuggestionFile.Fixed.Contains(header[c])).ToArray();
        if (featureColumns.Length != train.Columns)
            throw new InvalidDataException($"{labelsPath}: rows have {featureColumns.Length} feature values, the training set {train.Columns}");

        var inTraining = new HashSet<string>(Enumerable.Range(0, train.Rows).Select(r => Key(train.Features.AsSpan(r * train.Columns, train.Columns))));
        var problems = new List<string>();
        var duplicates = new List<string>();
        var labelById = new Dictionary<long, string>();
        var added = new List<(float[] Features, string Label)>();
        int unlabelled = 0;
        foreach (var (line, cells) in rows)
        {
            string label = cells[labelColumn];
            if (label.Length == 0)
            {
                unlabelled++;
                continue;
            }
            if (!long.TryParse(cells[idColumn], NumberStyles.Integer, CultureInfo.InvariantCulture, out long id))
            {
                problems.Add($"line {line}: missing or malformed id '{cells[idColumn]}'");
                continue;
            }
            if (!known.Contains(label))
            {
                problems.Add($"line {line} (id {id}): unknown label '{label}'; the training set's labels are {string.Join(", ", train.ClassNames)}");
                continue;
            }
            var features = new float[featureColumns.Length];
            for (int k = 0; k < featureColumns.Length; k++)
                if (!float.TryParse(cells[featureColumns[k]], NumberStyles.Float, CultureInfo.InvariantCulture, out features[k]))
                    problems.Add($"line {line} (id {id}): '{cells[featureColumns[k]]}' in column {header[featureColumns[k]]} is not a number");
            if (labelById.TryGetValue(id, out var earlier))
            {
                if (earlier == label) duplicates.Add($"line {line}: id {id} is labelled twice (both '{label}'); kept once");
                else problems.Add($"line {line}: id {id} is labelled '{label}' here but '{earlier}' earlier");
                continue;
            }
            labelById[id] = label;
            if (!inTraining.Add(Key(features)))
            {
                duplicates.Add($"line {line}: id {id} is already in the training set (identical features); not added again");
                continue;
            }
            added.Add((features, label));
        }
        if (problems.Count > 0)
            throw new InvalidDataException($"{labelsPath}: {problems.Count} row{(problems.Count == 1 ? "" : "s")} refused, nothing written:{Environment.NewLine}  "
                + string.Join(Environment.NewLine + "  ", problems.Take(ShownProblems)) + (problems.Count > ShownProblems ? $"{Environment.NewLine}  ... and {problems.Count - ShownProblems} more" : ""));

        var text = new StringBuilder();
        for (int r = 0; r < train.Rows; r++) AppendRow(text, train.Features.AsSpan(r * train.Columns, train.Columns), train.ClassNames[train.Labels[r]]);
        foreach (var (features, label) in added) AppendRow(text, features, label);
        AtomicFile.WriteAllText(outputPath, text.ToString());
        return new MergeSummary(added.Count, unlabelled, duplicates);
    }

    private static (string[] Header, List<(int Line, string[] Cells)> Rows) ReadLabelled(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"labels file '{path}' not found", path);
        string[]? header = null;
        var rows = new List<(int, string[])>();
        int number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string[] cells;
            try
            {
                cells = CsvLine.Split(line);
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"{path}, line {number}: {e.Message}");
            }
            if (header == null)
            {
                header = cells;
                continue;
            }
            if (cells.Length != header.Length) throw new InvalidDataException($"{path}, line {number}: expected {header.Length} values, found {cells.Length}");
            rows.Add((number, cells));
        }
        return (header ?? throw new InvalidDataException($"{path} is empty: no header and no labelled rows"), rows);
    }

    private static string Key(ReadOnlySpan<float> features)
    {
        var key = new StringBuilder();
        foreach (float v in features) key.Append(v.ToString(CultureInfo.InvariantCulture)).Append(',');
        return key.ToString();
    }

    private static void AppendRow(StringBuilder text, ReadOnlySpan<float> features, string label)
    {
        foreach (float v in features) text.Append(v.ToString(CultureInfo.InvariantCulture)).Append(',');
        text.Append(CsvLine.Quote(label)).Append('\n');
    }
}
