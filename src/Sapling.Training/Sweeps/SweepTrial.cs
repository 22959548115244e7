namespace Sapling.Training.Sweeps;

/// <summary>A trial to run: its number, its settings and the run folder the trainer writes.</summary>
public sealed record SweepTrial(int Id, Setting[] Settings, string RunDirectory)
{
    /// <summary>The trial's settings as <c>name=value</c> pairs separated by spaces, for logs.</summary>
    public string Describe() => string.Join(" ", Settings.Select(s => s.ToString()));
}
