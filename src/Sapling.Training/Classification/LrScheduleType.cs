namespace Sapling.Training.Classification;

/// <summary>How a classification run's learning rate changes (config <c>train.schedule</c>).</summary>
public enum LrScheduleType
{
    /// <summary>Constant.</summary>
    None,
    /// <summary>Linear warm-up, then cosine decay, stepped after every optimiser step.</summary>
    Cosine,
    /// <summary>Multiplied by gamma every step_size epochs.</summary>
    Step,
    /// <summary>Multiplied by gamma when the validation loss stops improving for plateau_patience epochs.</summary>
    Plateau,
}
