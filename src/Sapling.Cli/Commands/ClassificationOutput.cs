using Sapling.Training.Evaluation;
using Sapling.Training.Plots;

namespace Sapling.Cli.Commands;

/// <summary>How eval prints a classifier's scores: the report as JSON, or as a table followed by the confusion matrix.</summary>
public static class ClassificationOutput
{
    /// <summary>
    /// Prints the classification report of <paramref name="predicted"/> against <paramref name="truth"/> (class ids
    /// indexing <paramref name="names"/>); returns the exit code, 0.
    /// </summary>
    public static int Print(long[] truth, long[] predicted, string[] names, bool json)
    {
        var report = ClassificationReport.Create<long>(truth, predicted, names.Length, names);
        if (json)
        {
            Console.WriteLine(report.ToJson());
            return 0;
        }
        Console.WriteLine(report.ToText(4));
        Console.WriteLine(ConfusionMatrixText.Render(Metrics.ConfusionMatrix<long>(truth, predicted, names.Length), names));
        return 0;
    }
}
