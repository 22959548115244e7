namespace Sapling.NN;

/// <summary>A lookup table of <c>numEmbeddings</c> vectors of size <c>embeddingDim</c>, initialised N(0, 1) as in PyTorch.</summary>
public sealed class Embedding : Module<Tensor, Tensor>
{
    public Embedding(int numEmbeddings, int embeddingDim, Generator? generator = null)
    {
        (NumEmbeddings, EmbeddingDim) = (numEmbeddings, embeddingDim);
        Weight = RegisterParameter("weight", Init.Normal(Tensor.Empty(numEmbeddings, embeddingDim), 0f, 1f, generator));
    }

    public int NumEmbeddings { get; }
    public int EmbeddingDim { get; }
    public Tensor Weight { get; }

    public override Tensor Forward(Tensor ids) => Tensor.Embedding(ids, Weight);

    protected override string ExtraRepr() => $"{NumEmbeddings}, {EmbeddingDim}";
}
