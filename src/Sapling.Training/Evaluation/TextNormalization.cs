namespace Sapling.Training.Evaluation;

/// <summary>What <see cref="ExactMatch"/> ignores when it compares a hypothesis with its references.</summary>
[Flags]
public enum TextNormalization
{
    /// <summary>Compare the texts exactly as they are.</summary>
    None = 0,

    /// <summary>Leading and trailing white space.</summary>
    Trim = 1,

    /// <summary>Runs of white space count as one space.</summary>
    CollapseWhitespace = 2,

    /// <summary>Letter case (invariant culture, so results do not depend on the machine's locale).</summary>
    IgnoreCase = 4,

    /// <summary>Trim, collapse white space and ignore case.</summary>
    All = Trim | CollapseWhitespace | IgnoreCase,
}
