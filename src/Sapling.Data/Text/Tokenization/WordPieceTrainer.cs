namespace Sapling.Data.Text.Tokenization;

/// <summary>
/// Learns a BERT-style WordPiece vocabulary from a corpus, as Hugging Face's WordPieceTrainer does: text goes through
/// BERT's normaliser and pre-tokenizer, words are spelled in characters (all but the first with the ## prefix), the
/// most frequent adjacent pair is merged until the vocabulary is full, and the merged pieces become the WordPiece
/// vocabulary. The result is an ordinary BERT tokenizer.json (<see cref="PipelineTokenizer.FromBertVocabulary(IReadOnlyList{string}, string, bool, IReadOnlyList{string}?)"/>).
/// </summary>
public static class WordPieceTrainer
{
    /// <summary>BERT's special tokens, which take ids 0 to 4.</summary>
    public static IReadOnlyList<string> BertSpecialTokens { get; } = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    /// <summary>
    /// Learns a WordPiece vocabulary from <paramref name="documents"/> (plain text, one document per item) and returns
    /// it as a BERT tokenizer; the default options are used when null.
    /// </summary>
    public static PipelineTokenizer Train(IEnumerable<string> documents, WordPieceTrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(documents);
        options ??= new WordPieceTrainerOptions();
        options.Validate();
        var specials = BertSpecialTokens.Concat(options.ExtraSpecialTokens).Distinct(StringComparer.Ordinal).ToList();

        // Words as BERT's pipeline cuts them (an empty vocabulary is enough to run its normaliser and pre-tokenizer).
        var skeleton = PipelineTokenizer.FromBertVocabulary(BertSpecialTokens.ToArray(), "training", options.Lowercase);
        var counts = skeleton.CountWords(documents);

        // The alphabet: every character, or the most frequent ones when limited.
        var characters = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (word, count) in counts)
            foreach (var rune in word.EnumerateRunes())
                characters[rune.ToString()] = characters.GetValueOrDefault(rune.ToString()) + count;
        var alphabet = characters.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal)
            .Take(options.LimitAlphabet ?? int.MaxValue).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();

        var tokens = new List<string>(specials);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < tokens.Count; i++) ids[tokens[i]] = i;
        int Add(string token)
        {
            if (!ids.TryGetValue(token, out int id))
            {
                id = tokens.Count;
                ids[token] = id;
                tokens.Add(token);
            }
            return id;
        }
        foreach (var c in alphabet) Add(c);
        var known = new HashSet<string>(alphabet, StringComparer.Ordinal);
        const string prefix = "##";

        var symbols = new int[counts.Count][];
        var lengths = new int[counts.Count];
        var freqs = new long[counts.Count];
        int w = 0;
        foreach (var (word, count) in counts)
        {
            var spelled = new List<int>();
            bool first = true;
            foreach (var rune in word.EnumerateRunes())
            {
                var c = rune.ToString();
                if (known.Contains(c)) spelled.Add(Add(first ? c : prefix + c));
                first = false;
            }
            symbols[w] = spelled.ToArray();
            lengths[w] = spelled.Count;
            freqs[w++] = count;
        }
        if (tokens.Count > options.VocabSize)
            throw new ArgumentException($"the alphabet alone needs {tokens.Count} tokens (characters with and without {prefix}, and the special tokens), more than the vocabulary size {options.VocabSize}; raise VocabSize or set LimitAlphabet");

        BpeTrainer.Learn(symbols, lengths, freqs, tokens, ids, options.VocabSize, options.MinFrequency,
            (left, right) => left + (right.StartsWith(prefix, StringComparison.Ordinal) ? right[prefix.Length..] : right));
        return PipelineTokenizer.FromBertVocabulary(tokens, "trained WordPiece", options.Lowercase, options.ExtraSpecialTokens);
    }
}
