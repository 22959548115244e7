using Sapling.Training.Progress;

namespace Sapling.Training.Classification;

/// <summary>Spots runs that look wrong: a non-finite loss, validation loss rising while training loss falls, and vanishing or exploding gradients.</summary>
public sealed class TrainingMonitor
{
    private const int OverfitWindow = 3;
    private const double VanishingNorm = 1e-6;
    private const double ExplodingNorm = 1e3;

    /// <summary>Whether <paramref name="loss"/> is NaN or infinite.</summary>
    public static bool IsDiverged(double loss) => double.IsNaN(loss) || double.IsInfinity(loss);

    /// <summary>
    /// Warnings about the latest epoch of <paramref name="history"/>: vanishing or exploding gradient norms, and
    /// validation loss rising while training loss falls over the last few epochs (overfitting).
    /// </summary>
    public IEnumerable<string> Check(IReadOnlyList<EpochRecord> history)
    {
        var last = history[^1];
        if (last.GradNorm < VanishingNorm && last.GradNorm > 0)
            yield return $"gradients are vanishing (global norm {last.GradNorm:G3} in epoch {last.Epoch}); check the learning rate, initialisation or a frozen model";
        if (last.GradNorm > ExplodingNorm)
            yield return $"gradients are exploding (global norm {last.GradNorm:G3} in epoch {last.Epoch}); lower the learning rate or set {OptionNames.Of(nameof(TrainingOptions.GradClip))}";
        if (history.Count > OverfitWindow)
        {
            var window = history.Skip(history.Count - OverfitWindow - 1).ToList();
            bool valRising = true, trainFalling = true;
            for (int i = 1; i < window.Count; i++)
            {
                valRising &= window[i].ValLoss > window[i - 1].ValLoss;
                trainFalling &= window[i].TrainLoss < window[i - 1].TrainLoss;
            }
            if (valRising && trainFalling)
                yield return $"overfitting: validation loss rose for {OverfitWindow} epochs ({window[0].ValLoss:F4} → {last.ValLoss:F4}) while training loss fell; consider early stopping, dropout, weight decay or augmentation";
        }
    }
}
