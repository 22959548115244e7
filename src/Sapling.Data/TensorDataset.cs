namespace Sapling.Data;

/// <summary>Examples held in memory as one input tensor [N, ...] and one int64 label tensor [N]; batches are row gathers.</summary>
public sealed class TensorDataset : IDataset
{
    /// <summary>
    /// Creates the dataset from inputs [N, ...] and labels, which must be a 1-D int64 tensor [N]; both are made
    /// contiguous and kept alive outside any tensor scope.
    /// </summary>
    public TensorDataset(Tensor inputs, Tensor labels)
    {
        if (labels.DType != DType.Int64 || labels.Rank != 1)
            throw new ArgumentException($"TensorDataset: labels must be a 1-D int64 tensor, got {labels.DType.Name()} of shape {ShapeUtil.Format(labels.Shape.ToArray())}");
        if (inputs.Rank < 1)
            throw new ArgumentException($"TensorDataset: inputs must have a first dimension of N examples, got a scalar");
        if (inputs.Shape[0] != labels.Shape[0])
            throw new ArgumentException($"TensorDataset: {inputs.Shape[0]} inputs (shape {ShapeUtil.Format(inputs.Shape.ToArray())}) but {labels.Shape[0]} labels");
        Inputs = inputs.Contiguous().KeepAlive();
        LabelTensor = labels.Contiguous().KeepAlive();
        Labels = labels.ToArray<long>();
    }

    /// <summary>All inputs [N, ...], contiguous.</summary>
    public Tensor Inputs { get; }
    /// <summary>All labels as an int64 tensor [N].</summary>
    public Tensor LabelTensor { get; }
    /// <inheritdoc/>
    public long[] Labels { get; }
    /// <inheritdoc/>
    public int Count => Labels.Length;
    /// <inheritdoc/>
    public int[] ExampleShape => Inputs.Shape.Skip(1).ToArray();

    /// <inheritdoc/>
    public (Tensor Inputs, Tensor Labels) GetBatch(ReadOnlySpan<long> indices)
    {
        using var idx = Tensor.FromSpan<long>(indices, indices.Length);
        TensorScope.Current?.MoveToParent(idx);
        return (Inputs.IndexSelect(0, idx), LabelTensor.IndexSelect(0, idx));
    }

    /// <summary>The examples at the given positions as a new in-memory dataset (for splits).</summary>
    public TensorDataset Subset(long[] indices)
    {
        var idx = Tensor.FromArray(indices);
        return new TensorDataset(Inputs.IndexSelect(0, idx), LabelTensor.IndexSelect(0, idx));
    }
}
