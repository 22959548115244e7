using System.Text;

namespace Sapling.Training.Evaluation;

/// <summary>Fraction of hypotheses equal to at least one of their references after normalisation.</summary>
public static class ExactMatch
{
    /// <summary>
    /// The fraction of hypotheses that match one of their references; needs one reference list per hypothesis and at
    /// least one hypothesis.
    /// </summary>
    public static double Corpus(IReadOnlyList<IReadOnlyList<string>> references, IReadOnlyList<string> hypotheses, TextNormalization normalization = TextNormalization.None)
    {
        if (references.Count != hypotheses.Count)
            throw new ArgumentException($"{hypotheses.Count} hypotheses but {references.Count} reference sets", nameof(references));
        if (hypotheses.Count == 0) throw new ArgumentException("exact match of an empty corpus is undefined", nameof(hypotheses));
        int matched = 0;
        for (int s = 0; s < hypotheses.Count; s++)
            if (Matches(references[s], hypotheses[s], normalization)) matched++;
        return (double)matched / hypotheses.Count;
    }

    /// <summary>
    /// Whether <paramref name="hypothesis"/> equals any of <paramref name="references"/> after normalisation.
    /// </summary>
    public static bool Matches(IReadOnlyList<string> references, string hypothesis, TextNormalization normalization = TextNormalization.None)
    {
        var h = Normalize(hypothesis, normalization);
        return references.Any(r => string.Equals(Normalize(r, normalization), h, StringComparison.Ordinal));
    }

    /// <summary>
    /// <paramref name="text"/> with <paramref name="normalization"/> applied: white space collapsed first, then
    /// trimmed, then lower-cased.
    /// </summary>
    public static string Normalize(string text, TextNormalization normalization)
    {
        if (normalization.HasFlag(TextNormalization.CollapseWhitespace))
        {
            var collapsed = new StringBuilder(text.Length);
            bool inSpace = false;
            foreach (var rune in text.EnumerateRunes())
            {
                bool space = GenerationTokenizer.IsSpace(rune);
                if (!space) collapsed.Append(rune.ToString());
                else if (!inSpace) collapsed.Append(' ');
                inSpace = space;
            }
            text = collapsed.ToString();
        }
        if (normalization.HasFlag(TextNormalization.Trim)) text = text.Trim();
        if (normalization.HasFlag(TextNormalization.IgnoreCase)) text = text.ToLowerInvariant();
        return text;
    }

    /// <summary>Parses the CLI spelling: none, all, or a comma-separated list of trim, whitespace, case.</summary>
    public static TextNormalization ParseNormalization(string spec)
    {
        var result = TextNormalization.None;
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            result |= part.ToLowerInvariant() switch
            {
                "none" => TextNormalization.None,
                "all" => TextNormalization.All,
                "trim" => TextNormalization.Trim,
                "whitespace" => TextNormalization.CollapseWhitespace,
                "case" => TextNormalization.IgnoreCase,
                _ => throw new ArgumentException($"unknown normalisation '{part}': use none, all, or a comma-separated list of trim, whitespace, case"),
            };
        return result;
    }
}
