namespace Sapling.Serving;

/// <summary>A model folder to serve and the id clients use for it.</summary>
public sealed record ModelSource(string Directory, string? Name = null)
{
    /// <summary>The id in /v1/models: the given name, else the folder's own name.</summary>
    public string Id => Name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(Directory)));
}
