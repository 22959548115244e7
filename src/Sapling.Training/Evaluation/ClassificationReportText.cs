using System.Globalization;
using System.Text;

namespace Sapling.Training.Evaluation;

/// <summary>scikit-learn's classification_report layout, so the two can be compared by eye or by diff.</summary>
internal static class ClassificationReportText
{
    private const string LastHeading = "weighted avg";

    public static string Render(ClassificationReport report, int digits)
    {
        if (digits < 0 || digits > 9) throw new ArgumentOutOfRangeException(nameof(digits), digits, "digits must be between 0 and 9");
        int width = Math.Max(LastHeading.Length, digits);
        foreach (var row in report.PerClass) width = Math.Max(width, row.Name.Length);

        var text = new StringBuilder();
        text.Append(' ', width).Append(' ');
        foreach (var header in new[] { "precision", "recall", "f1-score", "support" }) text.Append(' ').Append(header.PadLeft(9));
        text.Append("\n\n");
        foreach (var row in report.PerClass) Row(text, row.Name, width, digits, row.Precision, row.Recall, row.F1, row.Support);
        text.Append('\n');

        if (report.MicroIsAccuracy)
        {
            text.Append("accuracy".PadLeft(width)).Append(' ');
            text.Append(' ', 20);
            text.Append(' ').Append(PythonFormat.Fixed(report.MicroF1, digits).PadLeft(9));
            text.Append(' ').Append(report.Support.ToString(CultureInfo.InvariantCulture).PadLeft(9)).Append('\n');
        }
        else Row(text, "micro avg", width, digits, report.MicroPrecision, report.MicroRecall, report.MicroF1, report.Support);
        Row(text, "macro avg", width, digits, report.MacroPrecision, report.MacroRecall, report.MacroF1, report.Support);
        Row(text, LastHeading, width, digits, report.WeightedPrecision, report.WeightedRecall, report.WeightedF1, report.Support);
        return text.ToString();
    }

    private static void Row(StringBuilder text, string name, int width, int digits, double precision, double recall, double f1, long support)
    {
        text.Append(name.PadLeft(width)).Append(' ');
        foreach (var v in new[] { precision, recall, f1 }) text.Append(' ').Append(PythonFormat.Fixed(v, digits).PadLeft(9));
        text.Append(' ').Append(support.ToString(CultureInfo.InvariantCulture).PadLeft(9)).Append('\n');
    }
}
