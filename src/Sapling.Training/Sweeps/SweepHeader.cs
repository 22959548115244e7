namespace Sapling.Training.Sweeps;

/// <summary>What a sweep ranks by and which settings it varies, recorded once at the top of its journal.</summary>
public sealed record SweepHeader(string Metric, bool Maximize, IReadOnlyList<ParameterAxis> Parameters);
