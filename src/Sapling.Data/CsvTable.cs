using System.Globalization;
using System.IO.Compression;

namespace Sapling.Data;

/// <summary>
/// Numeric CSV tables (optionally gzip-compressed) with one label column: features become float32 rows and labels
/// become class ids (numeric labels are kept as they are; text labels are numbered in order of first sorting).
/// </summary>
public sealed class CsvTable
{
    private CsvTable(float[] features, int columns, long[] labels, string[] classNames, string[] featureNames)
        => (Features, Columns, Labels, ClassNames, FeatureNames) = (features, columns, labels, classNames, featureNames);

    /// <summary>
    /// The feature values row-major, <see cref="Rows"/> × <see cref="Columns"/> (the label column left out).
    /// </summary>
    public float[] Features { get; }
    /// <summary>Number of feature columns per row (the label column not counted).</summary>
    public int Columns { get; }
    /// <summary>Each row's class id; all zeros for a table read without a label column.</summary>
    public long[] Labels { get; }
    /// <summary>
    /// The class name of each id: the sorted distinct text labels, or "0".."max" for integer labels; empty without a
    /// label column.
    /// </summary>
    public string[] ClassNames { get; }
    /// <summary>The header's names of the feature columns, or x0, x1, … when the file has no header.</summary>
    public string[] FeatureNames { get; }
    /// <summary>Number of data rows (the header not counted).</summary>
    public int Rows => Labels.Length;

    /// <summary>
    /// Reads <paramref name="path"/>. <paramref name="labelColumn"/> is an index (negative counts from the end) or null
    /// for a table without labels. A header is detected when the first row is not numeric. Bad rows fail with the line number.
    /// </summary>
    public static CsvTable Read(string path, int? labelColumn = -1, char separator = ',')
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"CSV file '{path}' not found", path);
        using var file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(stream);
        var rows = new List<string[]>();
        string[]? header = null;
        int lineNumber = 0;
        int width = -1;
        for (string? line = reader.ReadLine(); line != null; line = reader.ReadLine())
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string[] cells;
            try
            {
                cells = CsvLine.Split(line, separator);
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"{path}, line {lineNumber}: {e.Message}");
            }
            if (header == null && rows.Count == 0 && !IsNumeric(cells, labelColumn))
            {
                header = cells;
                width = cells.Length;
                continue;
            }
            if (width < 0) width = cells.Length;
            if (cells.Length != width)
                throw new InvalidDataException($"{path}, line {lineNumber}: expected {width} values, found {cells.Length}");
            rows.Add(cells);
        }
        if (rows.Count == 0) throw new InvalidDataException($"{path}: no data rows");
        int label = labelColumn is int lc ? (lc < 0 ? width + lc : lc) : -1;
        if (labelColumn != null && (label < 0 || label >= width))
            throw new ArgumentOutOfRangeException(nameof(labelColumn), $"{path}: label column {labelColumn} is out of range for {width} columns");
        int columns = label >= 0 ? width - 1 : width;
        var features = new float[rows.Count * columns];
        var rawLabels = new string[rows.Count];
        for (int r = 0; r < rows.Count; r++)
        {
            int c = 0;
            for (int k = 0; k < width; k++)
            {
                if (k == label)
                {
                    rawLabels[r] = rows[r][k];
                    continue;
                }
                if (!float.TryParse(rows[r][k], NumberStyles.Float, CultureInfo.InvariantCulture, out float v))
                    throw new InvalidDataException($"{path}, data row {r + 1}, column {k + 1}: '{rows[r][k]}' is not a number");
                // NaN, Infinity and numbers past float's range (1e39) parse, and would make training diverge.
                if (!float.IsFinite(v))
                    throw new InvalidDataException($"{path}, data row {r + 1}, column {k + 1}: '{rows[r][k]}' is not a finite number");
                features[r * columns + c++] = v;
            }
        }
        var (labels, names) = label >= 0 ? EncodeLabels(rawLabels, path) : (new long[rows.Count], Array.Empty<string>());
        var featureNames = header != null ? header.Where((_, k) => k != label).ToArray() : Enumerable.Range(0, columns).Select(i => $"x{i}").ToArray();
        return new CsvTable(features, columns, labels, names, featureNames);
    }

    /// <summary>The features as [rows, columns] and labels as int64 [rows].</summary>
    public TensorDataset ToDataset() => new(Tensor.FromArray(Features, Rows, Columns), Tensor.FromArray(Labels));

    /// <summary>Integer class ids above this are refused: the class list 0..max is built, so the id sizes an allocation.</summary>
    public const int MaxClassId = 99_999;

    private static (long[], string[]) EncodeLabels(string[] raw, string path)
    {
        if (raw.All(s => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) && v >= 0))
        {
            var ids = raw.Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            long max = ids.Max();
            if (max > MaxClassId)
                throw new InvalidDataException($"{path}: class id {max} in the label column is larger than {MaxClassId:N0}; integer labels are class ids 0..N-1 (write names instead of numbers for other labels)");
            return (ids, Enumerable.Range(0, (int)max + 1).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray());
        }
        var names = raw.Distinct().OrderBy(s => s, StringComparer.Ordinal).ToArray();
        var index = names.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => (long)p.i);
        return (raw.Select(s => index[s]).ToArray(), names);
    }

    private static bool IsNumeric(string[] cells, int? labelColumn)
    {
        int label = labelColumn is int lc ? (lc < 0 ? cells.Length + lc : lc) : -1;
        for (int k = 0; k < cells.Length; k++)
            if (k != label && !float.TryParse(cells[k], NumberStyles.Float, CultureInfo.InvariantCulture, out _)) return false;
        return true;
    }
}
