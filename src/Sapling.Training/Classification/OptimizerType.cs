namespace Sapling.Training.Classification;

/// <summary>The optimiser a classification run uses (config <c>train.optimizer</c>: sgd, adam, adamw).</summary>
public enum OptimizerType
{
    /// <summary>Stochastic gradient descent with momentum (optionally Nesterov's) and L2 weight decay.</summary>
    Sgd,
    /// <summary>Adam with L2 weight decay added to the gradient.</summary>
    Adam,
    /// <summary>Adam with decoupled weight decay.</summary>
    AdamW,
}
