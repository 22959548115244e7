namespace Sapling.Serving;

/// <summary>A model folder (or GGUF file) to serve and the id clients use for it.</summary>
public sealed record ModelSource(string Directory, string? Name = null)
{
    /// <summary>The id in /v1/models: the given name, else the folder's own name (a GGUF file's name without .gguf).</summary>
    public string Id => Name ?? DefaultId();

    private string DefaultId()
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(Directory));
        return full.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? Path.GetFileNameWithoutExtension(full) : Path.GetFileName(full);
    }
}
