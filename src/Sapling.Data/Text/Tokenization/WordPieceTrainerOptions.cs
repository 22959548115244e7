namespace Sapling.Data.Text.Tokenization;

/// <summary>Settings of <see cref="WordPieceTrainer"/>, named after Hugging Face's WordPieceTrainer.</summary>
public sealed record WordPieceTrainerOptions
{
    /// <summary>Tokens in the vocabulary, special tokens included.</summary>
    public int VocabSize { get; init; } = 30522;

    /// <summary>A pair merged fewer times than this is not learnt.</summary>
    public int MinFrequency { get; init; } = 2;

    /// <summary>Lowercase and strip accents (bert-base-uncased), or keep case (bert-base-cased).</summary>
    public bool Lowercase { get; init; } = true;

    /// <summary>Keep only this many of the most frequent characters; the others become [UNK].</summary>
    public int? LimitAlphabet { get; init; }

    /// <summary>Special tokens after BERT's five ([PAD] [UNK] [CLS] [SEP] [MASK]).</summary>
    public IReadOnlyList<string> ExtraSpecialTokens { get; init; } = [];

    internal void Validate()
    {
        if (VocabSize < 6) throw new ArgumentOutOfRangeException(nameof(VocabSize), $"VocabSize {VocabSize} leaves no room beside BERT's five special tokens");
        if (MinFrequency < 1) throw new ArgumentOutOfRangeException(nameof(MinFrequency), "MinFrequency must be at least 1");
        if (LimitAlphabet is < 1) throw new ArgumentOutOfRangeException(nameof(LimitAlphabet), "LimitAlphabet must be at least 1");
        if (ExtraSpecialTokens.Any(string.IsNullOrEmpty)) throw new ArgumentException("special tokens must not be empty", nameof(ExtraSpecialTokens));
    }
}
