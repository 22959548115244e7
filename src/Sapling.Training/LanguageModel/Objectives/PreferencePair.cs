namespace Sapling.Training.LanguageModel.Objectives;

/// <summary>One preference: a prompt, the response people preferred and the one they did not.</summary>
public sealed record PreferencePair(string Prompt, string Chosen, string Rejected);
