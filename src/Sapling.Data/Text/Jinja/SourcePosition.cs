namespace Sapling.Data.Text.Jinja;

/// <summary>A 1-based line and column in the template source, for error messages.</summary>
internal readonly record struct SourcePosition(int Line, int Column)
{
    public override string ToString() => $"line {Line}, column {Column}";

    /// <summary>Turns character offsets into positions (line starts found once).</summary>
    public sealed class Map
    {
        private readonly List<int> lineStarts = [0];

        public Map(string source)
        {
            for (int i = 0; i < source.Length; i++)
                if (source[i] == '\n') lineStarts.Add(i + 1);
        }

        public SourcePosition At(int offset)
        {
            int line = lineStarts.BinarySearch(offset);
            if (line < 0) line = ~line - 1;
            return new SourcePosition(line + 1, offset - lineStarts[line] + 1);
        }
    }
}
