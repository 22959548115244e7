namespace Sapling.Training.Review;

/// <summary>What a sheet was made from, written into it and carried into the exported ratings.</summary>
public sealed record ReviewSheetInfo(string Model, string Data, string Stratify, ulong Seed, int Population, string Created);
