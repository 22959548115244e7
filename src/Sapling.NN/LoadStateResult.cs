namespace Sapling.NN;

/// <summary>Keys that <see cref="Module.LoadStateDict"/> did not find in the checkpoint, and keys it did not use.</summary>
public sealed record LoadStateResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys)
{
    /// <summary>True when every key was found and used.</summary>
    public bool IsExact => MissingKeys.Count == 0 && UnexpectedKeys.Count == 0;

    /// <summary>"missing keys: a, b; unexpected keys: c", the part of a loading error that lists what differs.</summary>
    public string Describe() =>
        (MissingKeys.Count > 0 ? $"missing keys: {string.Join(", ", MissingKeys)}" : "") +
        (MissingKeys.Count > 0 && UnexpectedKeys.Count > 0 ? "; " : "") +
        (UnexpectedKeys.Count > 0 ? $"unexpected keys: {string.Join(", ", UnexpectedKeys)}" : "");
}
