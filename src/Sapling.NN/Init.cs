using Sapling.Autograd;

namespace Sapling.NN;

/// <summary>
/// In-place initialisers with PyTorch's formulas (torch.nn.init). Fan-in/fan-out follow PyTorch: for a weight of
/// shape [out, in, k...], fan_in = in·Πk and fan_out = out·Πk.
/// </summary>
public static class Init
{
    /// <summary>
    /// (fan_in, fan_out) of a weight [out, in, k...]: in·Πk and out·Πk. Throws for a tensor of rank below 2.
    /// </summary>
    public static (int FanIn, int FanOut) Fans(Tensor weight)
    {
        if (weight.Rank < 2) throw new ArgumentException($"fan in/out need a weight of rank ≥ 2, got shape {ShapeUtil.Format(weight.Shape.ToArray())}");
        int receptive = 1;
        for (int d = 2; d < weight.Rank; d++) receptive *= weight.Shape[d];
        return (weight.Shape[1] * receptive, weight.Shape[0] * receptive);
    }

    /// <summary>The recommended gain for a nonlinearity (torch.nn.init.calculate_gain).</summary>
    public static float Gain(string nonlinearity, float param = 0.01f) => nonlinearity switch
    {
        "linear" or "conv2d" or "sigmoid" => 1f,
        "tanh" => 5f / 3f,
        "relu" => MathF.Sqrt(2f),
        "leaky_relu" => MathF.Sqrt(2f / (1f + param * param)),
        "selu" => 3f / 4f,
        _ => throw new ArgumentException($"unknown nonlinearity '{nonlinearity}'"),
    };

    /// <summary>
    /// Fills <paramref name="t"/> in place with values uniform in [<paramref name="low"/>, <paramref name="high"/>)
    /// from <paramref name="g"/> (the default generator when null) and returns it; a meta tensor is left as is.
    /// </summary>
    public static Tensor Uniform(Tensor t, float low, float high, Generator? g = null)
    {
        // A model built inside Tensor.Meta() gets its weights from a file; there is nothing to initialise.
        if (t.IsMeta) return t;
        var gen = g ?? Generator.Default;
        using var _ = NoGrad.Enter();
        var span = t.AsSpan();
        for (int i = 0; i < span.Length; i++) span[i] = low + (high - low) * gen.NextFloat();
        return t;
    }

    /// <summary>
    /// Fills <paramref name="t"/> in place with values drawn from N(<paramref name="mean"/>, <paramref name="std"/>²)
    /// and returns it; a meta tensor is left as is.
    /// </summary>
    public static Tensor Normal(Tensor t, float mean = 0f, float std = 1f, Generator? g = null)
    {
        if (t.IsMeta) return t;
        var gen = g ?? Generator.Default;
        using var _ = NoGrad.Enter();
        var span = t.AsSpan();
        for (int i = 0; i < span.Length; i++) span[i] = mean + std * (float)gen.NextNormal();
        return t;
    }

    /// <summary>
    /// transformers' initialisation of its encoder and seq2seq models: every Linear weight and Embedding table
    /// N(0, <paramref name="std"/>), Linear biases 0 (layer norms keep their 1 and 0).
    /// </summary>
    public static void LikeTransformers(Module model, float std, Generator? g = null)
    {
        using var _ = NoGrad.Enter();
        foreach (var (_, module) in model.NamedModules())
        {
            if (module is Linear linear)
            {
                Normal(linear.Weight, 0f, std, g);
                if (linear.Bias != null) Zeros(linear.Bias);
            }
            else if (module is Embedding embedding)
            {
                Normal(embedding.Weight, 0f, std, g);
            }
        }
    }

    /// <summary>
    /// Fills <paramref name="t"/> in place with <paramref name="value"/> and returns it; a meta tensor is left as is.
    /// </summary>
    public static Tensor Constant(Tensor t, float value)
    {
        if (t.IsMeta) return t;
        using var _ = NoGrad.Enter();
        t.AsSpan().Fill(value);
        return t;
    }

    /// <summary>Fills <paramref name="t"/> with zeros in place and returns it.</summary>
    public static Tensor Zeros(Tensor t) => Constant(t, 0f);

    /// <summary>Fills <paramref name="t"/> with ones in place and returns it.</summary>
    public static Tensor Ones(Tensor t) => Constant(t, 1f);

    /// <summary>He/Kaiming uniform: bound = gain·√(3/fan); PyTorch's Linear and Conv defaults use a = √5 (bound 1/√fan_in).</summary>
    public static Tensor KaimingUniform(Tensor t, float a = 0f, bool fanIn = true, string nonlinearity = "leaky_relu", Generator? g = null)
    {
        var (fi, fo) = Fans(t);
        float std = Gain(nonlinearity, a) / MathF.Sqrt(fanIn ? fi : fo);
        float bound = MathF.Sqrt(3f) * std;
        return Uniform(t, -bound, bound, g);
    }

    /// <summary>
    /// He/Kaiming normal: N(0, std²) with std = gain/√fan, where gain comes from <paramref name="nonlinearity"/> and
    /// <paramref name="a"/> (the leaky ReLU slope) and fan is fan_in (or fan_out when <paramref name="fanIn"/> is
    /// false).
    /// </summary>
    public static Tensor KaimingNormal(Tensor t, float a = 0f, bool fanIn = true, string nonlinearity = "leaky_relu", Generator? g = null)
    {
        var (fi, fo) = Fans(t);
        return Normal(t, 0f, Gain(nonlinearity, a) / MathF.Sqrt(fanIn ? fi : fo), g);
    }

    /// <summary>Glorot/Xavier uniform: bound = gain·√(6/(fan_in+fan_out)).</summary>
    public static Tensor XavierUniform(Tensor t, float gain = 1f, Generator? g = null)
    {
        var (fi, fo) = Fans(t);
        float bound = gain * MathF.Sqrt(6f / (fi + fo));
        return Uniform(t, -bound, bound, g);
    }

    /// <summary>Glorot/Xavier normal: N(0, std²) with std = gain·√(2/(fan_in+fan_out)).</summary>
    public static Tensor XavierNormal(Tensor t, float gain = 1f, Generator? g = null)
    {
        var (fi, fo) = Fans(t);
        return Normal(t, 0f, gain * MathF.Sqrt(2f / (fi + fo)), g);
    }
}
