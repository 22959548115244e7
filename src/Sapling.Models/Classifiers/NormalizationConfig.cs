using System.Text.Json.Serialization;

namespace Sapling.Models.Classifiers;

public sealed record NormalizationConfig([property: JsonPropertyName("mean")] float[] Mean, [property: JsonPropertyName("std")] float[] Std);
