using System.Text.Json;
using Sapling.Training.Review;

namespace Sapling.Cli.Commands;

/// <summary><c>sapling review summarize</c>: the ratings against the automatic metric, as a table or JSON.</summary>
public static class ReviewReport
{
    /// <summary>
    /// Reads the exported ratings file at <paramref name="path"/> and prints the summary; returns the exit code.
    /// Refuses a file with no items or none rated.
    /// </summary>
    public static int Print(string path, bool json)
    {
        var (_, ratings) = ReviewRatings.Read(path);
        if (ratings.Count == 0) throw new InvalidDataException($"{path}: the ratings file has no items");
        var (overall, byStratum) = ReviewSummary.Compute(ratings);
        if (overall.Rated == 0) throw new InvalidDataException($"{path}: none of the {ratings.Count} items was rated; rate them on the sheet, then export again");
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { overall = Row(overall), strata = byStratum.Select(Row).ToArray() }, Training.Runs.JsonNumbers.Indented));
            return 0;
        }
        Console.WriteLine($"{ratings.Count} items, {overall.Rated} rated ({overall.Correct} correct, {overall.Wrong} wrong, {overall.Unsure} unsure)");
        Console.WriteLine($"{"stratum",-22} {"items",5} {"rated",5} {"reviewer",9} {"automatic",9} {"agree",6} {"kappa",6}");
        foreach (var s in byStratum.Append(overall))
            Console.WriteLine($"{s.Stratum,-22} {s.Items,5} {s.Rated,5} {Percent(s.ReviewerAccuracy),9} {Percent(s.AutomaticAccuracy),9} {Percent(s.Agreement),6} {(s.Kappa is { } k ? k.ToString("F2") : "-"),6}");
        if (overall.MeanAutoScoreCorrect != null || overall.MeanAutoScoreWrong != null)
            Console.WriteLine($"mean chrF of answers judged correct: {overall.MeanAutoScoreCorrect?.ToString("F1") ?? "-"}, judged wrong: {overall.MeanAutoScoreWrong?.ToString("F1") ?? "-"}");
        Console.WriteLine("reviewer = share judged correct (unsure left out); automatic = the metric's accuracy on the same items; agree = how often both say the same; kappa = Cohen's κ");
        return 0;
    }

    private static object Row(ReviewScore s) => new
    {
        stratum = s.Stratum, items = s.Items, rated = s.Rated, correct = s.Correct, wrong = s.Wrong, unsure = s.Unsure,
        reviewer_accuracy = s.ReviewerAccuracy, automatic_accuracy = s.AutomaticAccuracy, agreement = s.Agreement, kappa = s.Kappa,
        mean_auto_score_correct = s.MeanAutoScoreCorrect, mean_auto_score_wrong = s.MeanAutoScoreWrong,
    };

    private static string Percent(double? value) => value is { } v ? $"{100 * v:F1}%" : "-";
}
