namespace Sapling.NN;

/// <summary>
/// Rotary position embedding (Su et al., 2021) in Hugging Face's half-split layout: dimension i and i + d/2 of each
/// head form one pair, rotated by position·θ_i, so q·k depends only on the distance between the two positions. The
/// frequencies θ_i follow the config's scaling type (<see cref="RopeScaling"/>); cosines and sines are computed in
/// double for the positions of each call.
/// </summary>
public sealed class RotaryEmbedding
{
    private readonly double[] inverseFrequencies;

    /// <summary>
    /// Computes the frequencies for heads of <paramref name="headDim"/> (positive and even) from base
    /// <paramref name="theta"/> (above 1) and the optional <paramref name="scaling"/>; throws on invalid values.
    /// </summary>
    /// <param name="maxPositionEmbeddings">The config's max_position_embeddings, the original context unless the
    /// scaling names another.</param>
    public RotaryEmbedding(int headDim, double theta, int maxPositionEmbeddings, RopeScaling? scaling = null)
    {
        if (headDim <= 0 || headDim % 2 != 0) throw new ArgumentException($"rotary embedding: head_dim must be a positive even number, got {headDim}");
        if (!(theta > 1) || !double.IsFinite(theta)) throw new ArgumentException($"rotary embedding: rope_theta must be a finite number above 1, got {theta}");
        (HeadDim, Theta, MaxPositionEmbeddings, Scaling) = (headDim, theta, maxPositionEmbeddings, scaling ?? RopeScaling.None);
        inverseFrequencies = Frequencies(Theta, out double attentionFactor);
        AttentionFactor = attentionFactor;
    }

    /// <summary>Size of each attention head; the rotation pairs dimensions i and i + HeadDim/2.</summary>
    public int HeadDim { get; }
    /// <summary>The frequency base (<c>rope_theta</c>).</summary>
    public double Theta { get; }
    /// <summary>The config's <c>max_position_embeddings</c>.</summary>
    public int MaxPositionEmbeddings { get; }
    /// <summary>The scaling rule in use; <see cref="RopeScaling.None"/> when none was given.</summary>
    public RopeScaling Scaling { get; }

    /// <summary>The factor cosines and sines are multiplied by (YaRN's attention temperature; 1 otherwise).</summary>
    public double AttentionFactor { get; }

    /// <summary>θ_i for i in [0, d/2), after scaling, as used for sequences up to the original context.</summary>
    public IReadOnlyList<double> InverseFrequencies => inverseFrequencies;

    private int OriginalContext => Scaling.OriginalMaxPositionEmbeddings ?? MaxPositionEmbeddings;

    /// <summary>
    /// Cosines and sines [batch, 1, t, head_dim] for <paramref name="positions"/> [batch·t] (row-major), to multiply
    /// queries and keys [batch, heads, t, head_dim] with <see cref="Apply"/>. When every row has the same positions
    /// (no padding: training batches, one prompt) the tables are [1, 1, t, head_dim] and broadcast over the batch. They
    /// live in pooled tensor memory, so a training step leaves no garbage behind.
    /// </summary>
    public (Tensor Cos, Tensor Sin) Tables(long[] positions, int batch, int t)
    {
        if (positions.Length != batch * t) throw new ArgumentException($"rotary embedding: {positions.Length} positions for {batch}×{t} tokens");
        var frequencies = inverseFrequencies;
        double factor = AttentionFactor;
        if (Scaling.Type == RopeType.Dynamic)
        {
            long longest = 0;
            foreach (long p in positions) longest = Math.Max(longest, p + 1);
            if (longest > OriginalContext) frequencies = DynamicFrequencies(longest);
        }
        bool shared = true;
        for (int r = 1; r < batch && shared; r++)
            shared = positions.AsSpan(r * t, t).SequenceEqual(positions.AsSpan(0, t));
        int rows = shared ? 1 : batch;
        int half = HeadDim / 2;
        var cosTable = Tensor.Empty(rows, 1, t, HeadDim);
        var sinTable = Tensor.Empty(rows, 1, t, HeadDim);
        var cos = cosTable.AsSpan();
        var sin = sinTable.AsSpan();
        for (int r = 0; r < rows * t; r++)
        {
            for (int i = 0; i < half; i++)
            {
                double angle = positions[r] * frequencies[i];
                float c = (float)(Math.Cos(angle) * factor), s = (float)(Math.Sin(angle) * factor);
                cos[r * HeadDim + i] = cos[r * HeadDim + half + i] = c;
                sin[r * HeadDim + i] = sin[r * HeadDim + half + i] = s;
            }
        }
        return (cosTable, sinTable);
    }

    /// <summary>x·cos + rotate_half(x)·sin, where rotate_half(x) = (−x₂, x₁) for the two halves of the head dimension.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        int half = x.Shape[^1] / 2;
        int last = x.Rank - 1;
        var rotated = Tensor.Cat([x.Narrow(last, half, half).Neg(), x.Narrow(last, 0, half)], last);
        return x.Mul(cos).Add(rotated.Mul(sin));
    }

    private double[] BaseFrequencies(double theta)
    {
        var f = new double[HeadDim / 2];
        for (int i = 0; i < f.Length; i++) f[i] = 1.0 / Math.Pow(theta, 2.0 * i / HeadDim);
        return f;
    }

    private double[] Frequencies(double theta, out double attentionFactor)
    {
        attentionFactor = 1.0;
        var f = BaseFrequencies(theta);
        switch (Scaling.Type)
        {
            case RopeType.Default:
            case RopeType.Dynamic:
                return f;
            case RopeType.Linear:
                for (int i = 0; i < f.Length; i++) f[i] /= Scaling.Factor;
                return f;
            case RopeType.Llama3:
                return Llama3(f);
            default:
                return Yarn(f, out attentionFactor);
        }
    }

    /// <summary>Dynamic NTK: base·((factor·len/original) − (factor − 1))^(d/(d−2)) for a sequence of <paramref name="length"/> positions.</summary>
    private double[] DynamicFrequencies(long length)
    {
        double factor = Scaling.Factor;
        double grown = Theta * Math.Pow(factor * length / OriginalContext - (factor - 1), HeadDim / (HeadDim - 2.0));
        return BaseFrequencies(grown);
    }

    /// <summary>
    /// Wavelengths longer than original/low_freq_factor are divided by the factor, shorter than original/high_freq_factor
    /// kept, and those between blend the two by where the wavelength falls.
    /// </summary>
    private double[] Llama3(double[] f)
    {
        double factor = Scaling.Factor, low = Scaling.LowFreqFactor, high = Scaling.HighFreqFactor;
        double original = OriginalContext;
        double lowWavelength = original / low, highWavelength = original / high;
        for (int i = 0; i < f.Length; i++)
        {
            double wavelength = 2 * Math.PI / f[i];
            if (wavelength > lowWavelength)
            {
                f[i] /= factor;
            }
            else if (wavelength >= highWavelength)
            {
                double smooth = (original / wavelength - low) / (high - low);
                f[i] = (1 - smooth) * f[i] / factor + smooth * f[i];
            }
        }
        return f;
    }

    private double[] Yarn(double[] extrapolation, out double attentionFactor)
    {
        double factor = Scaling.Factor;
        int original = OriginalContext;
        attentionFactor = Scaling.AttentionFactor
            ?? (Scaling.Mscale is double m && Scaling.MscaleAllDim is double mAll ? YarnScale(factor, m) / YarnScale(factor, mAll) : YarnScale(factor, 1.0));
        double CorrectionDim(double rotations) => HeadDim * Math.Log(original / (rotations * 2 * Math.PI)) / (2 * Math.Log(Theta));
        double low = CorrectionDim(Scaling.BetaFast), high = CorrectionDim(Scaling.BetaSlow);
        if (Scaling.Truncate)
        {
            low = Math.Floor(low);
            high = Math.Ceiling(high);
        }
        low = Math.Max(low, 0);
        high = Math.Min(high, HeadDim - 1);
        if (low == high) high += 0.001;
        var f = new double[extrapolation.Length];
        for (int i = 0; i < f.Length; i++)
        {
            double ramp = Math.Clamp((i - low) / (high - low), 0, 1);
            double extrapolationWeight = 1 - ramp;
            double interpolation = extrapolation[i] / factor;
            f[i] = interpolation * (1 - extrapolationWeight) + extrapolation[i] * extrapolationWeight;
        }
        return f;
    }

    private static double YarnScale(double scale, double mscale) => scale <= 1 ? 1.0 : 0.1 * mscale * Math.Log(scale) + 1.0;
}
