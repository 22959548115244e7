namespace Sapling.NN;

/// <summary>Flattens dimensions startDim..endDim into one (default: everything after the batch dimension).</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module<Tensor, Tensor>
{
    public int StartDim => startDim;
    public int EndDim => endDim;

    public override Tensor Forward(Tensor input) => input.Flatten(startDim, endDim);

    protected override string ExtraRepr() => $"start_dim={startDim}, end_dim={endDim}";
}
