namespace Sapling.Data.Text.Tokenization;

/// <summary>Settings of <see cref="UnigramTrainer"/>, named after Hugging Face's UnigramTrainer and SentencePiece.</summary>
public sealed record UnigramTrainerOptions
{
    /// <summary>Pieces in the vocabulary, special tokens included.</summary>
    public int VocabSize { get; init; } = 8000;

    /// <summary>Special tokens, first ids in this order; the unknown token must be among them.</summary>
    public IReadOnlyList<string> SpecialTokens { get; init; } = ["<unk>", "<s>", "</s>"];

    /// <summary>The token for text the vocabulary cannot spell; must be one of <see cref="SpecialTokens"/>.</summary>
    public string UnkToken { get; init; } = "<unk>";

    /// <summary>The end-of-sequence token the post-processor appends when special tokens are asked for (T5's "$A &lt;/s&gt;"); null for none.</summary>
    public string? EndOfSequenceToken { get; init; } = "</s>";

    /// <summary>Longest piece, in characters.</summary>
    public int MaxPieceLength { get; init; } = 16;

    /// <summary>The share of pieces kept by each pruning round.</summary>
    public double ShrinkingFactor { get; init; } = 0.75;

    /// <summary>EM iterations between pruning rounds.</summary>
    public int SubIterations { get; init; } = 2;

    /// <summary>Frequent substrings the search starts from.</summary>
    public int SeedSize { get; init; } = 1_000_000;

    /// <summary>Add the 256 &lt;0xHH&gt; byte pieces, so unknown characters become bytes rather than the unknown token.</summary>
    public bool ByteFallback { get; init; }

    internal void Validate()
    {
        if (SpecialTokens.Distinct(StringComparer.Ordinal).Count() != SpecialTokens.Count || SpecialTokens.Any(string.IsNullOrEmpty))
            throw new ArgumentException("special tokens must be distinct and non-empty", nameof(SpecialTokens));
        if (!SpecialTokens.Contains(UnkToken)) throw new ArgumentException($"the unknown token '{UnkToken}' must be one of the special tokens", nameof(UnkToken));
        if (EndOfSequenceToken != null && !SpecialTokens.Contains(EndOfSequenceToken)) throw new ArgumentException($"the end-of-sequence token '{EndOfSequenceToken}' must be one of the special tokens", nameof(EndOfSequenceToken));
        if (VocabSize < SpecialTokens.Count + (ByteFallback ? 256 : 0) + 1) throw new ArgumentOutOfRangeException(nameof(VocabSize), $"VocabSize {VocabSize} leaves no room beside the special{(ByteFallback ? " and byte" : "")} tokens");
        if (MaxPieceLength < 1) throw new ArgumentOutOfRangeException(nameof(MaxPieceLength), "MaxPieceLength must be at least 1");
        if (ShrinkingFactor is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(ShrinkingFactor), "ShrinkingFactor must be between 0 and 1");
        if (SubIterations < 1) throw new ArgumentOutOfRangeException(nameof(SubIterations), "SubIterations must be at least 1");
        if (SeedSize < 1) throw new ArgumentOutOfRangeException(nameof(SeedSize), "SeedSize must be at least 1");
    }
}
