namespace Sapling.Training.Evaluation;

/// <summary>How generation metrics split a line of text into tokens.</summary>
public enum TokenizeMode
{
    /// <summary>
    /// Whitespace-separated words, except that each CJK character (Han, Hiragana, Katakana, Hangul, CJK and
    /// full-width punctuation) is a token of its own: Chinese and Japanese are written without spaces, so word BLEU
    /// over them would compare whole sentences.
    /// </summary>
    Auto,

    /// <summary>Every non-whitespace character is a token, whatever its script.</summary>
    Char,

    /// <summary>Runs of non-whitespace characters, as Python's <c>str.split()</c> gives.</summary>
    Whitespace,
}
