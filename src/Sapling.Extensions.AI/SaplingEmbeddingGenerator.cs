using Microsoft.Extensions.AI;
using Sapling.Inference;

namespace Sapling.Extensions.AI;

/// <summary>
/// A Sapling text encoder (a BERT, RoBERTa or DistilBERT folder, such as all-MiniLM-L6-v2 imported from ONNX) as
/// Microsoft.Extensions.AI's <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>: mean pooling and L2 normalisation
/// as sentence-transformers computes them, inputs batched by length. EmbeddingGenerationOptions.Dimensions is honoured
/// only when it equals the model's width (no truncated embeddings); other options are refused by name.
/// </summary>
public sealed class SaplingEmbeddingGenerator(SentenceEmbedder embedder, string modelId) : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly EmbeddingGeneratorMetadata metadata = new("sapling", null, modelId, embedder.Dimensions);
    private readonly SemaphoreSlim gate = new(1, 1);

    /// <summary>An encoder folder with its tokenizer; texts are cut to <paramref name="maxLength"/> tokens.</summary>
    public static SaplingEmbeddingGenerator Load(string directory, int maxLength = 256) =>
        new(SentenceEmbedder.Load(directory, maxLength), Path.GetFileName(Path.TrimEndingDirectorySeparator(directory)));

    /// <summary>The width of each embedding.</summary>
    public int Dimensions => embedder.Dimensions;

    /// <summary>
    /// Texts embedded together at most (batches of long texts are cut shorter to bound attention memory).
    /// </summary>
    public int BatchSize { get; init; } = 32;

    /// <inheritdoc/>
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (options?.Dimensions is int dimensions && dimensions != embedder.Dimensions)
            throw new NotSupportedException($"EmbeddingGenerationOptions.Dimensions {dimensions}: this model gives {embedder.Dimensions} dimensions and does not shorten them");
        if (options?.ModelId is { } model && model != metadata.DefaultModelId) throw new ArgumentException($"EmbeddingGenerationOptions.ModelId '{model}' is not this generator's model '{metadata.DefaultModelId}'");
        if (options?.AdditionalProperties is { Count: > 0 } extra) throw new NotSupportedException($"EmbeddingGenerationOptions.AdditionalProperties[\"{extra.Keys.First()}\"] is not supported");
        var texts = values.ToArray();
        for (int i = 0; i < texts.Length; i++) if (texts[i] == null) throw new ArgumentException($"values[{i}] is null");
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var ids = embedder.Encode(texts);
            var vectors = await Task.Run(() => embedder.Embed(ids, BatchSize, progress: _ => cancellationToken.ThrowIfCancellationRequested()), cancellationToken).ConfigureAwait(false);
            var created = DateTimeOffset.UtcNow;
            var result = new GeneratedEmbeddings<Embedding<float>>(vectors.Select(v => new Embedding<float>(v) { ModelId = metadata.DefaultModelId, CreatedAt = created }))
            {
                Usage = new UsageDetails { InputTokenCount = ids.Sum(r => (long)r.Length), TotalTokenCount = ids.Sum(r => (long)r.Length) },
            };
            return result;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey != null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return metadata;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc/>
    public void Dispose() => gate.Dispose();
}
