namespace Sapling.Optim;

/// <summary>Multiplies the learning rate by <c>gamma</c> every <c>stepSize</c> steps (torch.optim.lr_scheduler.StepLR).</summary>
public sealed class StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1) : LrScheduler(optimizer)
{
    /// <inheritdoc/>
    public override double Factor(long step) => Math.Pow(gamma, step / Math.Max(stepSize, 1));
}
