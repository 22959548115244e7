using System.Text.Json;
using System.Text.Json.Nodes;
using Sapling.IO;

namespace Sapling.Training.Review;

/// <summary>
/// Writes a self-contained HTML review sheet: the items are embedded as JSON, the page renders them, records each
/// verdict (correct / wrong / unsure) and comment as the reviewer clicks (kept in the browser's local storage), and
/// exports the ratings as a JSON file that <see cref="ReviewRatings"/> reads back.
/// </summary>
public static class ReviewSheet
{
    /// <summary>The verdicts a reviewer can give, as the exported ratings spell them.</summary>
    public static readonly string[] Verdicts = ["correct", "wrong", "unsure"];

    /// <summary>Writes the sheet for <paramref name="items"/> to <paramref name="path"/>, replacing it whole.</summary>
    public static void Write(string path, ReviewSheetInfo info, IReadOnlyList<ReviewItem> items)
    {
        var data = new JsonObject
        {
            ["sheet"] = InfoJson(info),
            ["items"] = new JsonArray(items.Select(i => (JsonNode)ItemJson(i)).ToArray()),
        };
        // The default encoder escapes '<' and '>', so no text in the data can close the script element.
        var html = Template.Value.Replace("/*SHEET-DATA*/", data.ToJsonString(), StringComparison.Ordinal);
        AtomicFile.WriteAllText(path, html);
    }

    /// <summary>
    /// The sheet's description (model, data, stratification, seed, population, creation time) as JSON.
    /// </summary>
    public static JsonObject InfoJson(ReviewSheetInfo info) => new()
    {
        ["model"] = info.Model, ["data"] = info.Data, ["stratify"] = info.Stratify, ["seed"] = info.Seed,
        ["population"] = info.Population, ["created"] = info.Created,
    };

    private static JsonObject ItemJson(ReviewItem item)
    {
        var o = new JsonObject { ["id"] = item.Id, ["stratum"] = item.Stratum, ["output"] = item.Output };
        if (item.Text != null) o["text"] = item.Text;
        if (item.Pixels != null) o["pixels"] = JsonSerializer.SerializeToNode(item.Pixels);
        if (item.ImageDataUrl != null) o["image"] = item.ImageDataUrl;
        if (item.Confidence is { } c) o["confidence"] = Math.Round(c, 4);
        if (item.Reference != null) o["reference"] = item.Reference;
        if (item.AutoCorrect is { } a) o["auto_correct"] = a;
        if (item.AutoScore is { } s) o["auto_score"] = Math.Round(s, 2);
        return o;
    }

    private static readonly Lazy<string> Template = new(() =>
    {
        using var stream = typeof(ReviewSheet).Assembly.GetManifestResourceStream("Sapling.Training.Review.review-sheet.html")
            ?? throw new InvalidOperationException("the review sheet template is missing from the assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });
}
