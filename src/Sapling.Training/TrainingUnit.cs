namespace Sapling.Training;

/// <summary>What a recipe's periods are: epochs over its data, or a number of optimiser steps between evaluations.</summary>
public enum TrainingUnit
{
    /// <summary>A period is one pass over the training data; checkpoints are named epoch-NNNN.</summary>
    Epoch,

    /// <summary>A period is the steps up to the next evaluation; checkpoints are named step-NNNNNNN.</summary>
    Step,
}
