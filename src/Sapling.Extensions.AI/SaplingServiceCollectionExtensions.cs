using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Sapling.Extensions.AI;

/// <summary>Registration of Sapling models as the .NET AI abstractions, in the usual <c>services.AddX(...)</c> style.</summary>
public static class SaplingServiceCollectionExtensions
{
    /// <summary>Registers <see cref="IChatClient"/> as a singleton <see cref="SaplingChatClient"/> over the model at <paramref name="modelPath"/>, loaded on first use.</summary>
    public static IServiceCollection AddSaplingChatClient(this IServiceCollection services, string modelPath, string? adapterDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        services.AddSingleton<IChatClient>(_ => SaplingChatClient.Load(modelPath, adapterDirectory));
        return services;
    }

    /// <summary>Registers <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> of strings as a singleton <see cref="SaplingEmbeddingGenerator"/> over the encoder at <paramref name="modelDirectory"/>.</summary>
    public static IServiceCollection AddSaplingEmbeddingGenerator(this IServiceCollection services, string modelDirectory, int maxLength = 256)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(modelDirectory);
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(_ => SaplingEmbeddingGenerator.Load(modelDirectory, maxLength));
        return services;
    }
}
