namespace Sapling.Training.ActiveLearning;

/// <summary>What a merge did: rows added, rows still without a label, and duplicates found (reported, not added twice).</summary>
public sealed record MergeSummary(int Added, int Unlabelled, IReadOnlyList<string> Duplicates);
