namespace Sapling.Data;

/// <summary>
/// Per-feature (or per-channel, for [N, C, H, W] images) standardisation with statistics computed on the training set
/// only; the same numbers are saved with the model so inference preprocesses identically.
/// </summary>
/// <param name="Mean">The mean of each feature or channel, subtracted first.</param>
/// <param name="Std">The population standard deviation of each feature or channel; 1 where it was constant.</param>
public sealed record Normalizer(float[] Mean, float[] Std)
{
    /// <summary>Statistics over dimension 0 for [N, F] inputs, or over (N, H, W) per channel for [N, C, H, W].</summary>
    public static Normalizer Fit(Tensor inputs)
    {
        int[] dims = inputs.Rank == 4 ? [0, 2, 3] : [0];
        using var _ = Autograd.NoGrad.Enter();
        var mean = inputs.Mean(dims).ToArray();
        var std = inputs.Std(dims, correction: 0).ToArray();
        // Constant features (e.g. always-blank border pixels) would divide by zero; leave them unscaled.
        for (int i = 0; i < std.Length; i++) if (std[i] < 1e-6f) std[i] = 1f;
        return new Normalizer(mean, std);
    }

    /// <summary>
    /// (inputs − Mean) / Std per feature of [..., F] inputs, or per channel of [N, C, H, W] images; throws when the
    /// feature or channel count differs from the fitted one.
    /// </summary>
    public Tensor Apply(Tensor inputs)
    {
        int features = inputs.Rank == 4 ? inputs.Shape[1] : inputs.Shape[^1];
        if (features != Mean.Length)
            throw new ArgumentException($"normaliser was fitted on {Mean.Length} features/channels, the input shape {ShapeUtil.Format(inputs.Shape.ToArray())} has {features}");
        int[] statShape = inputs.Rank == 4 ? [1, features, 1, 1] : [features];
        using var mean = Tensor.FromArray(Mean, statShape);
        using var std = Tensor.FromArray(Std, statShape);
        return inputs.Sub(mean).Div(std);
    }
}
