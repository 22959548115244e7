namespace Sapling.Training.Sweeps;

/// <summary>A trial to run: its number, its settings and the run folder the trainer writes.</summary>
public sealed record SweepTrial(int Id, Setting[] Settings, string RunDirectory)
{
    public string Describe() => string.Join(" ", Settings.Select(s => s.ToString()));
}
