using Sapling.Data.Text;

namespace Sapling.Models.T5;

/// <summary>
/// T5's sentinel tokens (&lt;extra_id_0&gt; … &lt;extra_id_99&gt;), which mark the spans of span corruption. They live
/// after the SentencePiece vocabulary in reverse order, so &lt;extra_id_0&gt; is the last id, as transformers'
/// T5Tokenizer numbers them (its extra_ids, 100 by default).
/// </summary>
public static class T5Sentinels
{
    /// <summary>Sentinels T5 checkpoints have (transformers' extra_ids default).</summary>
    public const int DefaultCount = 100;

    /// <summary>The name of sentinel <paramref name="i"/>.</summary>
    public static string Name(int i) => $"<extra_id_{i}>";

    /// <summary>The tokenizer with the sentinels it lacks appended (highest first), and <paramref name="alsoAdd"/> before them.</summary>
    public static ITokenizer AddTo(ITokenizer tokenizer, int count = DefaultCount, params string[] alsoAdd)
    {
        var missing = new List<string>();
        foreach (var token in alsoAdd)
            if (tokenizer.IdOf(token) < 0) missing.Add(token);
        for (int i = count - 1; i >= 0; i--)
            if (tokenizer.IdOf(Name(i)) < 0) missing.Add(Name(i));
        return missing.Count == 0 ? tokenizer : tokenizer.WithSpecialTokens(missing);
    }
}
