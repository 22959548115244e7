using System.Text;
using Sapling.Data.Json;

namespace Sapling.Data.Text.Tokenization;

/// <summary>How a Split keeps the delimiters it finds (Hugging Face's <c>SplitDelimiterBehavior</c>).</summary>
internal enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

/// <summary>
/// A tokenizer.json pre-tokenizer: cuts one piece of normalised text into words (and may rewrite them, as ByteLevel
/// and Metaspace do). A Sequence is flattened by the tokenizer into its steps.
/// </summary>
internal abstract class PreTokenizer
{
    public abstract void Split(ReadOnlySpan<char> piece, bool atTextStart, PieceList output);

    /// <summary>The steps of a pre_tokenizer, a Sequence flattened.</summary>
    public static void Read(JsonSection s, List<PreTokenizer> steps)
    {
        switch (s.Type)
        {
            case "Sequence":
                foreach (var step in s.Objects("pretokenizers")) Read(step, steps);
                break;
            case "Split":
            {
                var pattern = TextPattern.Read(s, "pattern");
                steps.Add(new SplitPreTokenizer(s.Bool("invert", false) ? pattern.Inverted() : pattern, ReadBehavior(s, "behavior")));
                break;
            }
            case "ByteLevel":
                steps.Add(new ByteLevelPreTokenizer(s.Bool("add_prefix_space", true), s.Bool("use_regex", true)));
                break;
            case "Metaspace":
                steps.Add(MetaspacePreTokenizer.Read(s));
                break;
            case "BertPreTokenizer":
                steps.Add(new SplitPreTokenizer(new CharacterPattern(CharacterClasses.IsWhitespace), SplitBehavior.Removed));
                steps.Add(new SplitPreTokenizer(new CharacterPattern(CharacterClasses.IsPunctuation), SplitBehavior.Isolated));
                break;
            case "Whitespace":
                steps.Add(new SplitPreTokenizer(WhitespacePattern.Instance.Inverted(), SplitBehavior.Removed));
                break;
            case "WhitespaceSplit":
                steps.Add(new SplitPreTokenizer(new CharacterPattern(CharacterClasses.IsWhitespace), SplitBehavior.Removed));
                break;
            case "Digits":
                steps.Add(new SplitPreTokenizer(new CharacterPattern(CharacterClasses.IsNumeric),
                    s.Bool("individual_digits", false) ? SplitBehavior.Isolated : SplitBehavior.Contiguous));
                break;
            case "Punctuation":
                steps.Add(new SplitPreTokenizer(new CharacterPattern(CharacterClasses.IsPunctuation), ReadBehavior(s, "behavior", SplitBehavior.Isolated)));
                break;
            case "CharDelimiterSplit":
            {
                string delimiter = s.Character("delimiter", " ");
                int code = char.ConvertToUtf32(delimiter, 0);
                steps.Add(new SplitPreTokenizer(new CharacterPattern(c => c == code), SplitBehavior.Removed));
                break;
            }
            case var other:
                throw s.Error("type", $"pre-tokenizer '{other}' is not supported");
        }
    }

    private static SplitBehavior ReadBehavior(JsonSection s, string key, SplitBehavior? missing = null)
    {
        var name = s.OptionalString(key);
        if (name == null) return missing ?? throw s.Error(key, "missing (Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous)");
        return name switch
        {
            "Removed" => SplitBehavior.Removed,
            "Isolated" => SplitBehavior.Isolated,
            "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
            "MergedWithNext" => SplitBehavior.MergedWithNext,
            "Contiguous" => SplitBehavior.Contiguous,
            _ => throw s.Error(key, $"'{name}' is not a split behavior (Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous)"),
        };
    }

    /// <summary>
    /// Hugging Face's <c>NormalizedString::split</c>: the pattern's segments regrouped by the behavior, empty pieces dropped.
    /// </summary>
    public static void SplitBy(TextPattern pattern, SplitBehavior behavior, ReadOnlySpan<char> piece, bool atTextStart, PieceList output)
    {
        var segments = output.Segments;
        segments.Clear();
        pattern.FindMatches(piece, segments);
        int n = segments.Count;
        switch (behavior)
        {
            case SplitBehavior.Isolated:
                foreach (var s in segments) Emit(piece, s.Start, s.End, atTextStart, output);
                break;
            case SplitBehavior.Removed:
                foreach (var s in segments)
                    if (!s.IsMatch) Emit(piece, s.Start, s.End, atTextStart, output);
                break;
            case SplitBehavior.Contiguous:
            case SplitBehavior.MergedWithPrevious:
            {
                // Merge a segment into the one before: for Contiguous when both are matches or both are not, for
                // MergedWithPrevious when a match follows a non-match.
                int start = -1, end = -1;
                bool previousMatch = false;
                foreach (var s in segments)
                {
                    bool merge = behavior == SplitBehavior.Contiguous ? s.IsMatch == previousMatch : s.IsMatch && !previousMatch;
                    if (merge && start >= 0) end = s.End;
                    else
                    {
                        if (start >= 0) Emit(piece, start, end, atTextStart, output);
                        (start, end) = (s.Start, s.End);
                    }
                    previousMatch = s.IsMatch;
                }
                if (start >= 0) Emit(piece, start, end, atTextStart, output);
                break;
            }
            case SplitBehavior.MergedWithNext:
            {
                // From the end: a match is merged into the piece after it unless the previous one seen was a match too.
                Span<(int Start, int End)> groups = n <= 64 ? stackalloc (int, int)[n] : new (int, int)[n];
                int count = 0;
                bool previousMatch = false;
                for (int i = n - 1; i >= 0; i--)
                {
                    var s = segments[i];
                    if (s.IsMatch && !previousMatch && count > 0) groups[count - 1].Start = s.Start;
                    else groups[count++] = (s.Start, s.End);
                    previousMatch = s.IsMatch;
                }
                for (int i = count - 1; i >= 0; i--) Emit(piece, groups[i].Start, groups[i].End, atTextStart, output);
                break;
            }
        }
    }

    private static void Emit(ReadOnlySpan<char> piece, int start, int end, bool atTextStart, PieceList output) =>
        output.Add(piece[start..end], atTextStart && start == 0);
}

internal sealed class SplitPreTokenizer(TextPattern pattern, SplitBehavior behavior) : PreTokenizer
{
    public override void Split(ReadOnlySpan<char> piece, bool atTextStart, PieceList output) => SplitBy(pattern, behavior, piece, atTextStart, output);
}

/// <summary>The Whitespace pre-tokenizer's pattern, <c>\w+|[^\w\s]+</c> with Unicode classes.</summary>
internal sealed class WhitespacePattern : TextPattern
{
    public static readonly WhitespacePattern Instance = new();

    public override void FindMatches(ReadOnlySpan<char> text, List<Segment> output)
    {
        if (text.Length == 0)
        {
            output.Add(new Segment(0, 0, false));
            return;
        }
        int previous = 0, i = 0;
        while (i < text.Length)
        {
            int c = CharacterClasses.CodePointAt(text, i, out int length);
            int kind = CharacterClasses.IsWordCharacter(c) ? 1 : CharacterClasses.IsWhitespace(c) ? 0 : 2;
            if (kind == 0)
            {
                i += length;
                continue;
            }
            int start = i;
            i += length;
            while (i < text.Length)
            {
                int d = CharacterClasses.CodePointAt(text, i, out int l);
                int k = CharacterClasses.IsWordCharacter(d) ? 1 : CharacterClasses.IsWhitespace(d) ? 0 : 2;
                if (k != kind) break;
                i += l;
            }
            if (previous != start) output.Add(new Segment(previous, start, false));
            output.Add(new Segment(start, i, true));
            previous = i;
        }
        AddTail(output, previous, text.Length);
    }
}

/// <summary>
/// GPT-2's byte-level step: optionally a space in front, optionally GPT-2's word regex, then every UTF-8 byte shown as
/// its byte-level character (<see cref="ByteLevel"/>).
/// </summary>
internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : PreTokenizer
{
    public override void Split(ReadOnlySpan<char> piece, bool atTextStart, PieceList output)
    {
        if (addPrefixSpace && (piece.IsEmpty || piece[0] != ' '))
        {
            Span<char> spaced = piece.Length < 512 ? stackalloc char[piece.Length + 1] : new char[piece.Length + 1];
            spaced[0] = ' ';
            piece.CopyTo(spaced[1..]);
            SplitWords(spaced, atTextStart, output);
        }
        else SplitWords(piece, atTextStart, output);
    }

    private void SplitWords(ReadOnlySpan<char> piece, bool atTextStart, PieceList output)
    {
        if (!useRegex)
        {
            AddByteLevel(piece, atTextStart, output);
            return;
        }
        var segments = output.Segments;
        segments.Clear();
        ByteLevel.Words.FindMatches(piece, segments);
        foreach (var s in segments) AddByteLevel(piece[s.Start..s.End], atTextStart && s.Start == 0, output);
    }

    private static void AddByteLevel(ReadOnlySpan<char> word, bool atTextStart, PieceList output)
    {
        if (word.IsEmpty) return;
        int maxBytes = Encoding.UTF8.GetMaxByteCount(word.Length);
        Span<byte> bytes = maxBytes <= 1024 ? stackalloc byte[maxBytes] : new byte[maxBytes];
        int n = Encoding.UTF8.GetBytes(word, bytes);
        var target = output.Reserve(n);
        for (int i = 0; i < n; i++) target[i] = ByteLevel.ToChar(bytes[i]);
        output.Commit(n, atTextStart);
    }

    public static string ToByteLevel(string text) => ByteLevel.ToByteLevel(Encoding.UTF8.GetBytes(text));
}

/// <summary>SentencePiece's word marking: spaces become ▁ (U+2581), a ▁ is put in front, and words split before each ▁.</summary>
internal sealed class MetaspacePreTokenizer(char replacement, MetaspacePreTokenizer.Prepend scheme, bool split) : PreTokenizer
{
    public enum Prepend { Always, First, Never }

    private readonly CharacterPattern delimiter = new(c => c == replacement);

    public char Replacement { get; } = replacement;
    public Prepend Scheme { get; } = scheme;

    public static MetaspacePreTokenizer Read(JsonSection s)
    {
        string replacement = s.Character("replacement", "\u2581");
        if (replacement.Length != 1) throw s.Error("replacement", "an astral replacement character is not supported");
        var scheme = s.OptionalString("prepend_scheme") switch
        {
            null => s.Bool("add_prefix_space", true) ? Prepend.Always : Prepend.Never, // files older than prepend_scheme
            "always" => Prepend.Always,
            "first" => Prepend.First,
            "never" => Prepend.Never,
            var other => throw s.Error("prepend_scheme", $"'{other}' is not always, first or never"),
        };
        return new MetaspacePreTokenizer(replacement[0], scheme, s.Bool("split", true));
    }

    public override void Split(ReadOnlySpan<char> piece, bool atTextStart, PieceList output)
    {
        bool prepend = Scheme == Prepend.Always || (Scheme == Prepend.First && atTextStart);
        // Spaces are replaced first, so a piece starting with a space already starts with the replacement.
        prepend &= piece.IsEmpty || (piece[0] != Replacement && piece[0] != ' ');
        int length = piece.Length + (prepend ? 1 : 0);
        if (length == 0) return;
        Span<char> marked = length <= 512 ? stackalloc char[length] : new char[length];
        int at = 0;
        if (prepend) marked[at++] = Replacement;
        foreach (char c in piece) marked[at++] = c == ' ' ? Replacement : c;
        if (!split)
        {
            output.Add(marked, atTextStart);
            return;
        }
        SplitBy(delimiter, SplitBehavior.MergedWithNext, marked, atTextStart, output);
    }
}
