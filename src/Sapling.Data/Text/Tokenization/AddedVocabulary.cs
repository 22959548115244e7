using System.Buffers;

namespace Sapling.Data.Text.Tokenization;

/// <summary>
/// The added tokens of a tokenizer.json (special tokens such as &lt;|eot_id|&gt; and [CLS], and user additions), found
/// in text before the model sees it, as Hugging Face does: tokens with <c>normalized: false</c> are matched in the raw
/// text, the others in the normalised text of what lies between; the leftmost, then longest, match wins;
/// <c>single_word</c> refuses a match inside a word, <c>lstrip</c>/<c>rstrip</c> swallow the whitespace beside it.
/// </summary>
internal sealed class AddedVocabulary
{
    public sealed record Entry(string Content, int Id, bool SingleWord, bool LStrip, bool RStrip, bool Normalized, bool Special);

    private readonly Entry[] entries;
    private readonly Dictionary<string, int> idOf = new(StringComparer.Ordinal);
    private readonly Dictionary<int, Entry> byId = [];
    private readonly Matcher raw, normalized;

    public AddedVocabulary(IReadOnlyList<Entry> entries, Normalizer? normalizer)
    {
        this.entries = entries.ToArray();
        foreach (var e in this.entries)
        {
            idOf.TryAdd(e.Content, e.Id);
            byId.TryAdd(e.Id, e);
        }
        raw = new Matcher(this.entries.Where(e => !e.Normalized).Select(e => (e.Content, e)));
        normalized = new Matcher(this.entries.Where(e => e.Normalized).Select(e => (normalizer?.Normalize(e.Content) ?? e.Content, e)));
    }

    public IReadOnlyList<Entry> Entries => entries;

    public bool TryGetId(string content, out int id) => idOf.TryGetValue(content, out id);

    public Entry? ById(int id) => byId.GetValueOrDefault(id);

    /// <summary>Cuts text into stretches: (start, end, id) with id ≥ 0 for an added token and -1 for text between.</summary>
    public void Split(ReadOnlySpan<char> text, bool normalizedText, List<(int Start, int End, int Id)> output)
    {
        var matcher = normalizedText ? normalized : raw;
        if (text.IsEmpty) return;
        if (matcher.IsEmpty)
        {
            output.Add((0, text.Length, -1));
            return;
        }
        int done = 0, searchFrom = 0;
        while (matcher.Next(text, searchFrom, out int start, out int end, out var entry))
        {
            searchFrom = end;
            if (entry.SingleWord)
            {
                bool startOk = start == 0 || !CharacterClasses.IsWordCharacter(CharacterClasses.CodePointBefore(text, start, out _));
                bool endOk = end == text.Length || !CharacterClasses.IsWordCharacter(CharacterClasses.CodePointAt(text, end, out _));
                if (!startOk || !endOk) continue;
            }
            if (entry.LStrip)
            {
                int s = start;
                while (s > 0 && CharacterClasses.IsWhitespace(CharacterClasses.CodePointBefore(text, s, out int l))) s -= l;
                start = Math.Max(s, done);
            }
            if (entry.RStrip)
                while (end < text.Length && CharacterClasses.IsWhitespace(CharacterClasses.CodePointAt(text, end, out int l))) end += l;
            if (done < start) output.Add((done, start, -1));
            output.Add((start, end, entry.Id));
            done = end;
        }
        if (done < text.Length) output.Add((done, text.Length, -1));
    }

    /// <summary>Leftmost-longest search over a set of strings, by their first character.</summary>
    private sealed class Matcher
    {
        private readonly Dictionary<char, (string Text, Entry Entry)[]> byFirst = [];
        private readonly SearchValues<char> firsts;

        public Matcher(IEnumerable<(string Text, Entry Entry)> patterns)
        {
            foreach (var group in patterns.Where(p => p.Text.Length > 0).GroupBy(p => p.Text[0]))
                byFirst[group.Key] = group.OrderByDescending(p => p.Text.Length).ToArray();
            firsts = SearchValues.Create(byFirst.Keys.ToArray());
        }

        public bool IsEmpty => byFirst.Count == 0;

        public bool Next(ReadOnlySpan<char> text, int from, out int start, out int end, out Entry entry)
        {
            while (from < text.Length)
            {
                int at = text[from..].IndexOfAny(firsts);
                if (at < 0) break;
                at += from;
                foreach (var (candidate, e) in byFirst[text[at]])
                    if (text[at..].StartsWith(candidate, StringComparison.Ordinal))
                    {
                        (start, end, entry) = (at, at + candidate.Length, e);
                        return true;
                    }
                from = at + 1;
            }
            (start, end, entry) = (0, 0, null!);
            return false;
        }
    }
}
