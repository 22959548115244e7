using Sapling.Quantization;

namespace Sapling.NN;

/// <summary>A lookup table of <c>numEmbeddings</c> vectors of size <c>embeddingDim</c>, initialised N(0, 1) as in PyTorch.</summary>
/// <remarks>
/// Quantized, each row is int8 with its own scale: a lookup dequantises the rows it reads, and a GPT's tied output
/// head (hidden · Wᵀ) is an int8 linear layer whose output channels are these rows.
/// </remarks>
public sealed class Embedding : Module<Tensor, Tensor>, IQuantizable
{
    private Tensor? weight;

    /// <summary>
    /// Creates the table matching PyTorch's <c>nn.Embedding</c>: weight [<paramref name="numEmbeddings"/>,
    /// <paramref name="embeddingDim"/>] drawn from N(0, 1) via <paramref name="generator"/> (the global one when null).
    /// </summary>
    public Embedding(int numEmbeddings, int embeddingDim, Generator? generator = null)
    {
        (NumEmbeddings, EmbeddingDim) = (numEmbeddings, embeddingDim);
        weight = RegisterParameter("weight", Init.Normal(Tensor.Empty(numEmbeddings, embeddingDim), 0f, 1f, generator));
    }

    /// <summary>Number of rows (the vocabulary size for token embeddings).</summary>
    public int NumEmbeddings { get; }
    /// <summary>Length of each vector.</summary>
    public int EmbeddingDim { get; }
    /// <summary>
    /// The table [numEmbeddings, embeddingDim]; throws once it is int8-quantized (see <see cref="Quantized"/>).
    /// </summary>
    public Tensor Weight => weight ?? throw QuantizedError("its float weight is gone (see Quantized)");

    /// <summary>The int8 table once <see cref="Quantize"/> or <see cref="LoadQuantized"/> ran; null while float32.</summary>
    public QuantizedWeight? Quantized { get; private set; }

    /// <summary>
    /// Looks up the row of each id: int64 ids of any shape give ids.shape + [embeddingDim]. An int8 table dequantises
    /// the rows it reads and throws in training mode.
    /// </summary>
    public override Tensor Forward(Tensor ids)
    {
        if (Quantized == null) return Tensor.Embedding(ids, Weight);
        if (Training) throw QuantizedError("it cannot be trained (call Eval() for inference)");
        return Tensor.QuantizedEmbedding(ids, Quantized);
    }

    /// <summary>
    /// A table of <paramref name="numEmbeddings"/> rows (new special tokens): existing rows keep their values and new
    /// rows start at the mean of the existing ones, so a new token starts near the average rather than at a random
    /// extreme (transformers' resize_token_embeddings with mean initialisation). Trains if this table does.
    /// </summary>
    public Embedding Resized(int numEmbeddings)
    {
        var grown = new Embedding(numEmbeddings, EmbeddingDim);
        using (Autograd.NoGrad.Enter()) grown.Weight.CopyFrom(GrowRows(Weight, numEmbeddings));
        grown.Weight.RequiresGrad = Weight.RequiresGrad;
        return grown;
    }

    /// <summary><paramref name="weight"/> [rows, dim] grown to <paramref name="rows"/> rows, the new ones at the mean of the old.</summary>
    public static Tensor GrowRows(Tensor weight, int rows)
    {
        int old = weight.Shape[0], dim = weight.Shape[1];
        if (rows < old) throw new ArgumentException($"shrinking a table from {old} to {rows} rows would drop trained tokens");
        using var _ = Autograd.NoGrad.Enter();
        var source = weight.StorageKind == Memory.StorageKind.Managed && weight.DType == DType.Float32 ? weight : weight.Clone().To(DType.Float32);
        var grown = Tensor.Empty(rows, dim);
        grown.Narrow(0, 0, old).CopyFrom(source);
        if (rows > old) grown.Narrow(0, old, rows - old).CopyFrom(source.Mean(0, keepDim: true).Expand(rows - old, dim));
        return grown;
    }

    /// <inheritdoc/>
    public void Quantize()
    {
        if (Quantized != null) throw new InvalidOperationException($"Embedding({NumEmbeddings}, {EmbeddingDim}) is already int8-quantized");
        QuantizedWeight q;
        using (Autograd.NoGrad.Enter()) q = QuantizedWeight.Quantize(Weight.Contiguous());
        Use(q);
    }

    /// <inheritdoc/>
    /// <remarks>The values must be [numEmbeddings, embeddingDim], one scale per row.</remarks>
    public void LoadQuantized(Tensor values, Tensor scale, string source)
    {
        if (Quantized != null) throw new InvalidOperationException($"{source}: Embedding({NumEmbeddings}, {EmbeddingDim}) is already int8-quantized");
        if (values.Rank != 2 || values.Shape[0] != NumEmbeddings || values.Shape[1] != EmbeddingDim)
            throw new InvalidDataException($"{source}: int8 table shape {ShapeUtil.Format(values.Shape.ToArray())} does not match the layer's [{NumEmbeddings}, {EmbeddingDim}]");
        Use(QuantizedWeight.FromInt8(values.Contiguous(), scale, source));
    }

    private void Use(QuantizedWeight q)
    {
        ReplaceWeightWithInt8([NumEmbeddings, EmbeddingDim], q.Scale);
        weight?.Dispose();
        weight = null;
        Quantized = q;
    }

    /// <summary>A state dict's "weight" of an int8 table: the values unpacked.</summary>
    protected override Tensor StateDictTensor(string name, Tensor registered) => name == "weight" && Quantized is { } q ? q.Values : registered;

    private InvalidOperationException QuantizedError(string what) =>
        new($"Embedding({NumEmbeddings}, {EmbeddingDim}) is int8-quantized: {what}; it runs inference only (train the float32 model and quantize it again)");

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{NumEmbeddings}, {EmbeddingDim}";
}
