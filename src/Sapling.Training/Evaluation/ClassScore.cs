using System.Text.Json.Serialization;

namespace Sapling.Training.Evaluation;

/// <summary>One row of a <see cref="ClassificationReport"/>: a class, its name and its scores.</summary>
public sealed record ClassScore(
    [property: JsonPropertyName("label")] int Label,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("precision")] double Precision,
    [property: JsonPropertyName("recall")] double Recall,
    [property: JsonPropertyName("f1")] double F1,
    [property: JsonPropertyName("support")] long Support);
