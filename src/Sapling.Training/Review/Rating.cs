namespace Sapling.Training.Review;

/// <summary>One exported rating: the item as the sheet showed it and the reviewer's verdict (null when not rated).</summary>
public sealed record Rating(string Id, string Stratum, bool? AutoCorrect, double? AutoScore, string? Verdict, string Comment);
