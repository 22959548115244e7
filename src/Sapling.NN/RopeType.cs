namespace Sapling.NN;

/// <summary>How rotary position frequencies are stretched for contexts longer than the model was trained on.</summary>
public enum RopeType
{
    /// <summary>θ_i = base^(−2i/d), unchanged.</summary>
    Default,
    /// <summary>Position interpolation (Chen et al., 2023): every frequency divided by the factor.</summary>
    Linear,
    /// <summary>Dynamic NTK scaling: the base grows with the sequence once it passes the original context.</summary>
    Dynamic,
    /// <summary>Llama 3.1's rule: low frequencies divided by the factor, high ones kept, a smooth ramp between.</summary>
    Llama3,
    /// <summary>YaRN (Peng et al., 2023): per-frequency ramp between interpolation and extrapolation, plus an attention factor.</summary>
    Yarn,
}
