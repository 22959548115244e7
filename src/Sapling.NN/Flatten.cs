namespace Sapling.NN;

/// <summary>Flattens dimensions startDim..endDim into one (default: everything after the batch dimension).</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module<Tensor, Tensor>
{
    /// <summary>First dimension merged (negative counts from the end).</summary>
    public int StartDim => startDim;
    /// <summary>Last dimension merged, inclusive (negative counts from the end).</summary>
    public int EndDim => endDim;

    /// <summary>
    /// Returns the input with dimensions StartDim..EndDim merged, e.g. [N, C, H, W] to [N, C·H·W] by default.
    /// </summary>
    public override Tensor Forward(Tensor input) => input.Flatten(startDim, endDim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"start_dim={startDim}, end_dim={endDim}";
}
