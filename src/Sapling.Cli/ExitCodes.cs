namespace Sapling.Cli;

/// <summary>What the <c>sapling</c> process returns, so scripts can tell a bad input from a run that went wrong.</summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;

    /// <summary>The command failed (a rank of a distributed run, an evaluation below its bar).</summary>
    public const int Failure = 1;

    /// <summary>Bad input: a file, option or request that Sapling refuses, with the reason printed.</summary>
    public const int BadInput = 2;

    /// <summary>Training met a non-finite loss or gradient; the model is the best finite one kept before, or there is none.</summary>
    public const int Diverged = 3;
}
