using System.Text.Json;

namespace Sapling.Training.Review;

/// <summary>Reads the ratings file a review sheet exports; anything malformed is an error naming the file and the item.</summary>
public static class ReviewRatings
{
    /// <summary>
    /// Reads the exported ratings file at <paramref name="path"/>: the sheet's description (as written by
    /// <see cref="ReviewSheet.InfoJson"/>) and one rating per reviewed item.
    /// </summary>
    public static (JsonElement Sheet, IReadOnlyList<Rating> Ratings) Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ratings file '{path}' does not exist", path);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{path}: not a ratings file (expected an object with an \"items\" array, as a review sheet exports)");
        var sheet = root.TryGetProperty("sheet", out var s) ? s.Clone() : default;
        var ratings = new List<Rating>();
        int index = 0;
        foreach (var item in items.EnumerateArray())
        {
            string where = $"{path}: item {index++}";
            if (item.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{where} is not an object");
            string id = String(item, "id") ?? throw new InvalidDataException($"{where} has no \"id\"");
            string stratum = String(item, "stratum") ?? "all";
            string? verdict = String(item, "rating");
            if (verdict != null && !ReviewSheet.Verdicts.Contains(verdict))
                throw new InvalidDataException($"{where} (id {id}): rating \"{verdict}\" is not one of {string.Join(", ", ReviewSheet.Verdicts)}");
            bool? auto = item.TryGetProperty("auto_correct", out var a) && a.ValueKind is JsonValueKind.True or JsonValueKind.False ? a.GetBoolean() : null;
            double? score = item.TryGetProperty("auto_score", out var sc) && sc.ValueKind == JsonValueKind.Number ? sc.GetDouble() : null;
            ratings.Add(new Rating(id, stratum, auto, score, verdict, String(item, "comment") ?? ""));
        }
        if (ratings.Select(r => r.Id).Distinct().Count() != ratings.Count) throw new InvalidDataException($"{path}: item ids repeat");
        return (sheet, ratings);
    }

    private static string? String(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
