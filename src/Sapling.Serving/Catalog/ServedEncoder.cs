using Sapling.Inference;

namespace Sapling.Serving.Catalog;

/// <summary>A text encoder (a BERT folder) answering /v1/embeddings with sentence-transformers' mean-pooled, unit-length vectors.</summary>
public sealed class ServedEncoder(string id, string directory, SentenceEmbedder embedder) : ServedModel(id, directory)
{
    /// <summary>The embedder that turns texts into vectors.</summary>
    public SentenceEmbedder Embedder { get; } = embedder;

    /// <inheritdoc/>
    public override string Kind => "embedding";
}
