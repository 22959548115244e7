using System.Globalization;
using System.Text;
using Sapling.Data;
using Sapling.IO;

namespace Sapling.Training.ActiveLearning;

/// <summary>
/// The CSV handed to a labeller: a header <c>id,score,guess,label,&lt;feature names&gt;</c>, then one row per item,
/// most worth labelling first, with the label column empty. The labeller fills in label (or copies a correct guess);
/// <see cref="LabelMerge"/> reads the file back.
/// </summary>
public static class SuggestionFile
{
    /// <summary>The columns before the features: id, score, guess and label.</summary>
    public static readonly string[] Fixed = ["id", "score", "guess", "label"];

    /// <summary>
    /// Writes <paramref name="suggestions"/> (in the order given) with their features under
    /// <paramref name="featureNames"/> to <paramref name="path"/>.
    /// </summary>
    public static void Write(string path, IReadOnlyList<Suggestion> suggestions, IReadOnlyList<string> featureNames)
    {
        var text = new StringBuilder();
        text.AppendJoin(',', [.. Fixed, .. featureNames.Select(n => CsvLine.Quote(n))]).Append('\n');
        foreach (var s in suggestions)
        {
            text.Append(s.Id.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(s.Score.ToString("G6", CultureInfo.InvariantCulture)).Append(',')
                .Append(CsvLine.Quote(s.Guess)).Append(",,")
                .AppendJoin(',', s.Features.Select(v => v.ToString(CultureInfo.InvariantCulture))).Append('\n');
        }
        AtomicFile.WriteAllText(path, text.ToString());
    }
}
