using System.Text.Json.Nodes;

namespace Sapling.Data.Text.Tokenization;

/// <summary>
/// Learns a SentencePiece-style Unigram vocabulary (T5, ALBERT, XLNet) from a corpus, by SentencePiece's method as
/// Hugging Face's UnigramTrainer follows it: words are marked with ▁ (SentencePiece's nmt_nfkc rules, Metaspace), the frequent substrings seed the
/// vocabulary, expectation-maximisation fits each piece's log-probability on the word lattices (the M-step uses
/// digamma, as SentencePiece's Bayesian estimate does), and each round prunes the pieces whose removal costs the
/// corpus likelihood least (a piece is replaced by its best split into the others), until the vocabulary fits.
/// Every character stays a piece, so any text of the corpus's alphabet tokenizes without the unknown token. The result
/// is an ordinary tokenizer.json in the layout Hugging Face gives T5.
/// </summary>
public static class UnigramTrainer
{
    private const double ExpectedFrequencyThreshold = 0.5;

    /// <summary>
    /// Learns a vocabulary of <see cref="UnigramTrainerOptions.VocabSize"/> pieces from <paramref name="documents"/>
    /// (plain text, one document per item) and returns it as a tokenizer; the default options are used when null.
    /// </summary>
    public static PipelineTokenizer Train(IEnumerable<string> documents, UnigramTrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(documents);
        options ??= new UnigramTrainerOptions();
        options.Validate();

        var skeleton = PipelineTokenizer.FromJson(Layout(options, [.. options.SpecialTokens.Select(t => (t, 0.0))]).ToJsonString(), "training");
        var counts = skeleton.CountWords(documents);
        var words = counts.Keys.ToArray();
        var freqs = counts.Values.ToArray();

        int desired = options.VocabSize - options.SpecialTokens.Count - (options.ByteFallback ? 256 : 0);
        var pieces = Seed(words, freqs, options, out var characters);
        if (characters.Count > desired)
        {
            // More distinct characters than room: the rarest are left out (unknown, or bytes with ByteFallback), as
            // SentencePiece's character_coverage does.
            var kept = characters.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Take(desired).Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
            characters = characters.Where(p => kept.Contains(p.Key)).ToDictionary(StringComparer.Ordinal);
            pieces = pieces.Where(p => kept.Contains(p.Piece) || RuneCount(p.Piece) > 1).ToList();
        }
        while (true)
        {
            for (int i = 0; i < options.SubIterations; i++) pieces = MaximiseExpectation(pieces, words, freqs, characters);
            // Pruned a little past the target, as SentencePiece does, then trimmed by score at the end.
            if (pieces.Count <= desired * 11 / 10) break;
            int before = pieces.Count;
            pieces = Prune(pieces, words, freqs, characters, options.ShrinkingFactor, desired * 11 / 10);
            if (pieces.Count >= before) break; // only characters and irreplaceable pieces are left
        }
        return PipelineTokenizer.FromJson(Layout(options, Finalize(pieces, characters, desired, options)).ToJsonString(), "trained Unigram",
            options.EndOfSequenceToken);
    }

    // Every character, then the most frequent repeated substrings by frequency × length, scored as log-probabilities.
    private static List<(string Piece, double Score)> Seed(string[] words, long[] freqs, UnigramTrainerOptions options, out Dictionary<string, long> characters)
    {
        characters = new Dictionary<string, long>(StringComparer.Ordinal);
        var substrings = new Dictionary<string, long>(StringComparer.Ordinal);
        var lookup = substrings.GetAlternateLookup<ReadOnlySpan<char>>();
        for (int w = 0; w < words.Length; w++)
        {
            var word = words[w];
            var starts = RuneStarts(word);
            for (int i = 0; i + 1 < starts.Length; i++)
            {
                var c = word[starts[i]..starts[i + 1]];
                characters[c] = characters.GetValueOrDefault(c) + freqs[w];
                // The word marker ▁ only begins a piece, as SentencePiece's whitespace splitting allows.
                for (int j = i + 2; j < starts.Length && j - i <= options.MaxPieceLength; j++)
                {
                    var s = word.AsSpan(starts[i], starts[j] - starts[i]);
                    if (s[1..].Contains('\u2581')) break;
                    lookup[s] = (lookup.TryGetValue(s, out long n) ? n : 0) + freqs[w];
                }
            }
        }
        // Only repeated substrings, as SentencePiece's suffix-array search finds them: a word seen once would otherwise
        // be a piece of its own, always on the best path, and starve the subword pieces before the first pruning.
        var seeds = substrings.Where(p => p.Value >= 2).Select(p => (p.Key, Score: (double)p.Value * RuneCount(p.Key)))
            .OrderByDescending(p => p.Score).ThenBy(p => p.Key, StringComparer.Ordinal).Take(Math.Max(0, options.SeedSize - characters.Count));
        var all = characters.Select(p => (p.Key, Score: (double)p.Value)).Concat(seeds).ToList();
        double logTotal = Math.Log(all.Sum(p => p.Score));
        return all.Select(p => (p.Key, Math.Log(p.Score) - logTotal)).ToList();
    }

    // One EM step: expected counts of every piece over all word lattices, then digamma-normalised log-probabilities.
    private static List<(string Piece, double Score)> MaximiseExpectation(List<(string Piece, double Score)> pieces, string[] words, long[] freqs, Dictionary<string, long> characters)
    {
        var lattice = new Lattice(pieces);
        var expected = new double[pieces.Count];
        for (int w = 0; w < words.Length; w++) lattice.AddMarginals(words[w], freqs[w], expected);
        var kept = new List<(string, double)>(pieces.Count);
        double total = 0;
        for (int i = 0; i < pieces.Count; i++)
        {
            // Characters always stay, so every word keeps a path; the rare ones get the threshold's count.
            bool character = characters.ContainsKey(pieces[i].Piece);
            if (expected[i] < ExpectedFrequencyThreshold && !character) continue;
            double count = Math.Max(expected[i], character ? ExpectedFrequencyThreshold : 0);
            kept.Add((pieces[i].Piece, count));
            total += count;
        }
        double logTotal = Digamma(total);
        return kept.ConvertAll(p => (p.Item1, Digamma(p.Item2) - logTotal));
    }

    // Keeps the pieces whose removal would cost the corpus likelihood most (SentencePiece's PruneSentencePieces).
    private static List<(string Piece, double Score)> Prune(List<(string Piece, double Score)> pieces, string[] words, long[] freqs,
        Dictionary<string, long> characters, double shrinkingFactor, int desired)
    {
        var lattice = new Lattice(pieces);
        // How often each piece is on the best path, and in which words.
        var frequency = new double[pieces.Count];
        var inWords = new List<int>?[pieces.Count];
        var path = new List<int>();
        for (int w = 0; w < words.Length; w++)
        {
            path.Clear();
            lattice.Viterbi(words[w], exclude: -1, path);
            foreach (int id in path)
            {
                frequency[id] += freqs[w];
                (inWords[id] ??= []).Add(w);
            }
        }
        double sum = frequency.Sum();
        double logSum = Math.Log(sum);
        var keep = new List<(string, double)>();
        var candidates = new List<(int Id, double Loss)>();
        for (int i = 0; i < pieces.Count; i++)
        {
            if (characters.ContainsKey(pieces[i].Piece)) { keep.Add(pieces[i]); continue; }
            if (frequency[i] == 0) continue; // never on a best path: removing it costs nothing
            path.Clear();
            lattice.Viterbi(pieces[i].Piece, exclude: i, path);
            if (path.Count == 0) { keep.Add(pieces[i]); continue; }
            double wordShare = inWords[i]!.Sum(w => (double)freqs[w]) / sum;
            double logProbability = Math.Log(frequency[i]) - logSum;
            double logSumAlternative = Math.Log(sum + frequency[i] * (path.Count - 1));
            double logProbabilityAlternative = 0;
            foreach (int alternative in path) logProbabilityAlternative += Math.Log(frequency[alternative] + frequency[i]) - logSumAlternative;
            candidates.Add((i, wordShare * (logProbability - logProbabilityAlternative)));
        }
        int target = Math.Max(desired, (int)(shrinkingFactor * pieces.Count));
        foreach (var (id, _) in candidates.OrderByDescending(c => c.Loss).ThenBy(c => c.Id))
        {
            if (keep.Count >= target) break;
            keep.Add(pieces[id]);
        }
        return keep;
    }

    // The best pieces by score, every character among them, specials and byte pieces first.
    private static List<(string Piece, double Score)> Finalize(List<(string Piece, double Score)> pieces, Dictionary<string, long> characters, int desired, UnigramTrainerOptions options)
    {
        double minScore = pieces.Min(p => p.Score);
        var present = pieces.Select(p => p.Piece).ToHashSet(StringComparer.Ordinal);
        var all = pieces.Concat(characters.Keys.Where(c => !present.Contains(c)).Select(c => (c, minScore - 10)))
            .Where(p => !options.SpecialTokens.Contains(p.Item1)).ToList();
        var chosen = all.Where(p => characters.ContainsKey(p.Item1)).ToList();
        chosen.AddRange(all.Where(p => !characters.ContainsKey(p.Item1)).OrderByDescending(p => p.Item2).ThenBy(p => p.Item1, StringComparer.Ordinal).Take(Math.Max(0, desired - chosen.Count)));
        var result = options.SpecialTokens.Select(t => (t, 0.0)).ToList();
        if (options.ByteFallback) for (int b = 0; b < 256; b++) result.Add(($"<0x{b:X2}>", 0.0));
        result.AddRange(chosen.OrderByDescending(p => p.Item2).ThenBy(p => p.Item1, StringComparer.Ordinal));
        return result;
    }

    // The tokenizer.json Hugging Face writes for T5, with SentencePiece's nmt_nfkc rules written as Nmt + NFKC (where
    // T5's file has them compiled), runs of spaces collapsed, Metaspace, "$A </s>".
    private static JsonObject Layout(UnigramTrainerOptions options, List<(string Piece, double Score)> vocab)
    {
        var added = new JsonArray();
        foreach (var special in options.SpecialTokens)
            added.Add(new JsonObject
            {
                ["id"] = vocab.FindIndex(p => p.Piece == special), ["content"] = special, ["single_word"] = false, ["lstrip"] = false,
                ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
            });
        JsonObject Metaspace() => new() { ["type"] = "Metaspace", ["replacement"] = "\u2581", ["prepend_scheme"] = "always", ["split"] = true };
        JsonNode? post = null;
        if (options.EndOfSequenceToken is { } eos)
            post = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }, new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = eos, ["type_id"] = 0 } }),
                ["pair"] = new JsonArray(new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }, new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = eos, ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "B", ["type_id"] = 0 } }, new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = eos, ["type_id"] = 0 } }),
                ["special_tokens"] = new JsonObject { [eos] = new JsonObject { ["id"] = eos, ["ids"] = new JsonArray(vocab.FindIndex(p => p.Piece == eos)), ["tokens"] = new JsonArray(eos) } },
            };
        var vocabArray = new JsonArray();
        // Scores are stored at float32 precision, as SentencePiece keeps them (the loader reads them back exactly as the
        // Rust library does, see RustJsonNumber).
        foreach (var (piece, score) in vocab) vocabArray.Add(new JsonArray(piece, (double)(float)score));
        return new JsonObject
        {
            ["version"] = "1.0", ["truncation"] = null, ["padding"] = null, ["added_tokens"] = added,
            ["normalizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["normalizers"] = new JsonArray(new JsonObject { ["type"] = "Nmt" }, new JsonObject { ["type"] = "NFKC" },
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["Regex"] = " {2,}" }, ["content"] = " " }),
            },
            ["pre_tokenizer"] = Metaspace(), ["post_processor"] = post, ["decoder"] = Metaspace(),
            ["model"] = new JsonObject
            {
                ["type"] = "Unigram", ["unk_id"] = vocab.FindIndex(p => p.Piece == options.UnkToken), ["vocab"] = vocabArray, ["byte_fallback"] = options.ByteFallback,
            },
        };
    }

    private static int[] RuneStarts(string word)
    {
        var starts = new List<int>(word.Length + 1);
        for (int i = 0; i < word.Length;)
        {
            starts.Add(i);
            CharacterClasses.CodePointAt(word, i, out int length);
            i += length;
        }
        starts.Add(word.Length);
        return starts.ToArray();
    }

    private static int RuneCount(string s)
    {
        int n = 0;
        foreach (var _ in s.EnumerateRunes()) n++;
        return n;
    }

    /// <summary>ψ(x), by recurrence up to 7 and the asymptotic series beyond, as SentencePiece computes it.</summary>
    internal static double Digamma(double x)
    {
        double result = 0;
        for (; x < 7; x++) result -= 1 / x;
        x -= 0.5;
        double xx = 1 / x, xx2 = xx * xx, xx4 = xx2 * xx2;
        return result + Math.Log(x) + xx2 / 24 - 7 * xx4 / 960 + 31 * xx4 * xx2 / 8064 - 127 * xx4 * xx4 / 30720;
    }

    /// <summary>The pieces of a vocabulary in a prefix trie, with the lattice computations the trainer needs.</summary>
    private sealed class Lattice
    {
        private readonly PieceTrie trie = new();
        private readonly double[] scores;
        private readonly List<(int Start, int End, int Id)> nodes = [];

        public Lattice(List<(string Piece, double Score)> pieces)
        {
            scores = new double[pieces.Count];
            for (int id = 0; id < pieces.Count; id++)
            {
                scores[id] = pieces[id].Score;
                trie.Add(pieces[id].Piece, id);
            }
        }

        // Every (start, end, piece) of the word, by start.
        private void Build(string word, int exclude)
        {
            nodes.Clear();
            for (int start = 0; start < word.Length; start++)
            {
                if (start > 0 && char.IsLowSurrogate(word[start]) && char.IsHighSurrogate(word[start - 1])) continue;
                int node = 0;
                for (int end = start; end < word.Length; end++)
                {
                    if (!trie.TryStep(ref node, word[end])) break;
                    int id = trie.PieceAt(node);
                    if (id >= 0 && id != exclude && !(char.IsHighSurrogate(word[end]) && end + 1 < word.Length)) nodes.Add((start, end + 1, id));
                }
            }
        }

        /// <summary>Adds each piece's expected count in the word (its marginal probability × the word's frequency).</summary>
        public void AddMarginals(string word, long frequency, double[] expected)
        {
            Build(word, -1);
            int n = word.Length;
            var alpha = new double[n + 1];
            var beta = new double[n + 1];
            Array.Fill(alpha, double.NegativeInfinity);
            Array.Fill(beta, double.NegativeInfinity);
            alpha[0] = 0;
            beta[n] = 0;
            foreach (var (start, end, id) in nodes) alpha[end] = LogAdd(alpha[end], alpha[start] + scores[id]);
            for (int i = nodes.Count - 1; i >= 0; i--)
            {
                var (start, end, id) = nodes[i];
                beta[start] = LogAdd(beta[start], scores[id] + beta[end]);
            }
            double z = alpha[n];
            if (double.IsNegativeInfinity(z)) return;
            foreach (var (start, end, id) in nodes)
                expected[id] += frequency * Math.Exp(alpha[start] + scores[id] + beta[end] - z);
        }

        /// <summary>The best split of the text into pieces other than <paramref name="exclude"/>; empty when there is none.</summary>
        public void Viterbi(string text, int exclude, List<int> path)
        {
            Build(text, exclude);
            int n = text.Length;
            var best = new double[n + 1];
            var back = new (int Start, int Id)[n + 1];
            Array.Fill(best, double.NegativeInfinity);
            best[0] = 0;
            foreach (var (start, end, id) in nodes)
            {
                double candidate = best[start] + scores[id];
                if (candidate > best[end]) (best[end], back[end]) = (candidate, (start, id));
            }
            if (double.IsNegativeInfinity(best[n])) return;
            int mark = path.Count;
            for (int at = n; at > 0; at = back[at].Start) path.Add(back[at].Id);
            path.Reverse(mark, path.Count - mark);
        }

        private static double LogAdd(double a, double b)
        {
            if (double.IsNegativeInfinity(a)) return b;
            if (double.IsNegativeInfinity(b)) return a;
            return a > b ? a + double.LogP1(Math.Exp(b - a)) : b + double.LogP1(Math.Exp(a - b));
        }
    }
}
