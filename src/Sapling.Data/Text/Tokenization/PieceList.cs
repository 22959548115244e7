namespace Sapling.Data.Text.Tokenization;

/// <summary>
/// The words a pre-tokenizer produces: their characters packed in one reusable buffer, each with whether it starts
/// the whole input (Metaspace's <c>first</c> scheme asks). Empty pieces are never kept, as in Hugging Face.
/// </summary>
internal sealed class PieceList
{
    private char[] chars = new char[256];
    private int used;
    private readonly List<(int Start, int Length, bool AtTextStart)> pieces = [];

    /// <summary>Scratch space for a pre-tokenizer's pattern matches.</summary>
    public List<Segment> Segments { get; } = [];

    public int Count => pieces.Count;

    public ReadOnlySpan<char> this[int index] => chars.AsSpan(pieces[index].Start, pieces[index].Length);

    public bool AtTextStart(int index) => pieces[index].AtTextStart;

    public void Clear()
    {
        used = 0;
        pieces.Clear();
    }

    public void Add(ReadOnlySpan<char> text, bool atTextStart)
    {
        if (text.IsEmpty) return;
        text.CopyTo(Reserve(text.Length));
        Commit(text.Length, atTextStart);
    }

    /// <summary>Room for a piece of at most <paramref name="length"/> characters, to be written and then committed.</summary>
    public Span<char> Reserve(int length)
    {
        if (used + length > chars.Length) Array.Resize(ref chars, Math.Max(chars.Length * 2, used + length));
        return chars.AsSpan(used, length);
    }

    public void Commit(int length, bool atTextStart)
    {
        if (length == 0) return;
        pieces.Add((used, length, atTextStart));
        used += length;
    }
}
