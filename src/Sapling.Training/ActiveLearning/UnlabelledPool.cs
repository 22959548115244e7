using System.Globalization;
using System.IO.Compression;
using Sapling.Data;

namespace Sapling.Training.ActiveLearning;

/// <summary>
/// Unlabelled items to rank: a CSV in the training data's layout (feature values, then the label column) whose label
/// column is empty or left out; an optional header row; gzip allowed. Item ids are the 0-based data rows of the file.
/// </summary>
public sealed class UnlabelledPool
{
    private UnlabelledPool(float[] features, int rows, string[] featureNames) => (Features, Rows, FeatureNames) = (features, rows, featureNames);

    /// <summary>Raw feature values, row by row [Rows, columns].</summary>
    public float[] Features { get; }
    /// <summary>Number of items.</summary>
    public int Rows { get; }
    /// <summary>The names of the feature columns (from the header, or x0, x1, ... without one).</summary>
    public string[] FeatureNames { get; }

    /// <summary>
    /// Reads the pool at <paramref name="path"/>; rows must have <paramref name="inputSize"/> values (the model's
    /// input), optionally followed by a label column, which is ignored.
    /// </summary>
    public static UnlabelledPool Read(string path, int inputSize)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"pool file '{path}' not found", path);
        var (first, lines) = Peek(path);
        string[] firstCells = first == null ? [] : Cells(path, first);
        bool header = first != null && !firstCells.All(c => c.Length == 0 || float.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        if (first == null || lines - (header ? 1 : 0) == 0)
            throw new InvalidDataException($"the pool '{path}' is empty: it has no rows to rank");
        int width = firstCells.Length;
        int? labelColumn = width == inputSize + 1 ? -1 : width == inputSize ? null
            : throw new InvalidDataException($"{path}: rows have {width} columns, but the model takes {inputSize} values (followed by an optional, empty label column)");
        var table = CsvTable.Read(path, labelColumn);
        return new UnlabelledPool(table.Features, table.Rows, table.FeatureNames);
    }

    private static string[] Cells(string path, string line)
    {
        try
        {
            return CsvLine.Split(line);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{path}, first row: {e.Message}");
        }
    }

    private static (string? First, int Lines) Peek(string path)
    {
        using var file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(stream);
        string? first = null;
        int lines = 0;
        for (string? line = reader.ReadLine(); line != null; line = reader.ReadLine())
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            first ??= line;
            lines++;
        }
        return (first, lines);
    }
}
