namespace Sapling.Serving.Catalog;

/// <summary>A loaded model folder and the id clients call it by.</summary>
public abstract class ServedModel(string id, string directory)
{
    /// <summary>The id clients name the model by (the <c>"model"</c> field of requests).</summary>
    public string Id { get; } = id;
    /// <summary>The folder (or GGUF file) the model was loaded from.</summary>
    public string Directory { get; } = directory;
    /// <summary>When the model was loaded, in Unix seconds: the <c>"created"</c> field of /v1/models.</summary>
    public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>"language-model", "classifier", "text-classifier", "embedding" or "translation": what the playground offers for it.</summary>
    public abstract string Kind { get; }
}
