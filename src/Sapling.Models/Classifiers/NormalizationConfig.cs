using System.Text.Json.Serialization;

namespace Sapling.Models.Classifiers;

/// <summary>The mean and standard deviation inputs are normalised with, (x − mean) / std, before the model.</summary>
/// <param name="Mean">mean: one value per feature (MLP) or per channel (images).</param>
/// <param name="Std">std: one value per feature (MLP) or per channel (images).</param>
public sealed record NormalizationConfig([property: JsonPropertyName("mean")] float[] Mean, [property: JsonPropertyName("std")] float[] Std);
