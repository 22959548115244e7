using Sapling.Training.Runs;

namespace Sapling.Training;

/// <summary>How a <see cref="Trainer"/> run ended: the state reached (steps, best figure and where, history), and why it stopped.</summary>
public sealed record TrainingOutcome(TrainingState State, bool Diverged, bool StoppedEarly, bool StoppedByCaller);
