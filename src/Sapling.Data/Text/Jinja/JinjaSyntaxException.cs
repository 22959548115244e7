namespace Sapling.Data.Text.Jinja;

/// <summary>
/// A template that cannot be parsed, or that uses a construct this interpreter does not implement. Refusing at parse
/// time, with the place named, is the point: a template is never rendered differently from what Jinja would produce.
/// </summary>
public sealed class JinjaSyntaxException(string message, int line, int column) : Exception($"{message} (line {line}, column {column})")
{
    /// <summary>The 1-based line of the template where the problem was found.</summary>
    public int Line { get; } = line;
    /// <summary>The 1-based column within <see cref="Line"/> where the problem was found.</summary>
    public int Column { get; } = column;
}
