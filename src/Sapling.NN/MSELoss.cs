namespace Sapling.NN;

/// <summary>Mean squared error.</summary>
public sealed class MSELoss(Reduction reduction = Reduction.Mean) : Module<(Tensor Input, Tensor Target), Tensor>
{
    public override Tensor Forward((Tensor Input, Tensor Target) input) => Forward(input.Input, input.Target);

    public Tensor Forward(Tensor prediction, Tensor target)
    {
        var squared = prediction.Sub(target).Square();
        return reduction switch
        {
            Reduction.Sum => squared.Sum(),
            Reduction.None => squared,
            _ => squared.Mean(),
        };
    }
}
