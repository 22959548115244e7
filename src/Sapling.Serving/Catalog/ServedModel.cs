namespace Sapling.Serving.Catalog;

/// <summary>A loaded model folder and the id clients call it by.</summary>
public abstract class ServedModel(string id, string directory)
{
    public string Id { get; } = id;
    public string Directory { get; } = directory;
    public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>"language-model", "classifier", "text-classifier", "embedding" or "translation": what the playground offers for it.</summary>
    public abstract string Kind { get; }
}
