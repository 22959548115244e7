namespace Sapling.Training.Evaluation;

/// <summary>
/// What BLEU does with an n-gram order that has no match, numbered like NLTK's <c>SmoothingFunction.methodN</c>
/// (Chen and Cherry 2014). Without smoothing one empty order sends the geometric mean, and so the score, to zero,
/// which is why sentence-level BLEU on short lines needs one of the others.
/// </summary>
public enum BleuSmoothing
{
    /// <summary>method0: no smoothing. An empty order counts as the smallest normal double, as in NLTK, so the score is tiny but not exactly 0.</summary>
    None = 0,

    /// <summary>method1: an empty order gets <see cref="BleuOptions.Epsilon"/> matches.</summary>
    Epsilon = 1,

    /// <summary>method2 (Lin and Och 2004): add one to the matches and the count of every order above unigrams.</summary>
    AddOne = 2,

    /// <summary>method3 (NIST mteval-v13a): the k-th empty order gets 1/2^k matches.</summary>
    Nist = 3,

    /// <summary>method4: like NIST but scaled by ln(hypothesis length)/<see cref="BleuOptions.K"/>, so short hypotheses get less.</summary>
    ChenCherry4 = 4,
}
