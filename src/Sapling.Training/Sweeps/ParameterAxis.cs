namespace Sapling.Training.Sweeps;

/// <summary>A searched setting and whether its values spread over orders of magnitude (plotted on a log axis).</summary>
public sealed record ParameterAxis(string Name, bool LogScale);
