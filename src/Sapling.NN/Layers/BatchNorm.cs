using Sapling.Autograd;

namespace Sapling.NN;

/// <summary>
/// Batch normalisation over the channel dimension (dimension 1). Training normalises with the batch's mean and
/// biased variance and updates running estimates (unbiased variance, momentum 0.1); evaluation uses the estimates.
/// </summary>
public abstract class BatchNorm : Module<Tensor, Tensor>
{
    private readonly int expectedRank;

    protected BatchNorm(int numFeatures, float eps, float momentum, bool affine, bool trackRunningStats, int expectedRank)
    {
        (NumFeatures, Eps, Momentum, this.expectedRank) = (numFeatures, eps, momentum, expectedRank);
        if (affine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones(numFeatures));
            Bias = RegisterParameter("bias", Tensor.Zeros(numFeatures));
        }
        if (trackRunningStats)
        {
            RegisterBuffer("running_mean", Tensor.Zeros(numFeatures));
            RegisterBuffer("running_var", Tensor.Ones(numFeatures));
            RegisterBuffer("num_batches_tracked", Tensor.Zeros([], DType.Int64));
        }
        TracksRunningStats = trackRunningStats;
    }

    public int NumFeatures { get; }
    public float Eps { get; }
    public float Momentum { get; }
    public bool TracksRunningStats { get; }
    public Tensor? Weight { get; }
    public Tensor? Bias { get; }

    public Tensor RunningMean => Buffer("running_mean");
    public Tensor RunningVar => Buffer("running_var");

    public override Tensor Forward(Tensor input)
    {
        if (input.Rank != expectedRank && !(expectedRank == 3 && input.Rank == 2))
            throw new ArgumentException($"{GetType().Name}: expected a {(expectedRank == 4 ? "4-D [N, C, H, W]" : "2-D [N, C] or 3-D [N, C, L]")} input, got shape {ShapeUtil.Format(input.Shape.ToArray())}");
        if (input.Shape[1] != NumFeatures)
            throw new ArgumentException($"{GetType().Name}({NumFeatures}): input shape {ShapeUtil.Format(input.Shape.ToArray())} has {input.Shape[1]} channels");
        var reduceDims = Enumerable.Range(0, input.Rank).Where(d => d != 1).ToArray();
        var statShape = Enumerable.Range(0, input.Rank).Select(d => d == 1 ? NumFeatures : 1).ToArray();
        Tensor mean, variance;
        bool useBatch = Training || !TracksRunningStats;
        if (useBatch)
        {
            int count = input.NumEl / NumFeatures;
            if (Training && count <= 1)
                throw new ArgumentException($"{GetType().Name}: expected more than one value per channel when training, got input shape {ShapeUtil.Format(input.Shape.ToArray())}");
            mean = input.Mean(reduceDims, keepDim: true);
            variance = input.Sub(mean).Square().Mean(reduceDims, keepDim: true);
            if (Training && TracksRunningStats) UpdateRunningStats(mean, variance, count);
        }
        else
        {
            mean = RunningMean.Reshape(statShape);
            variance = RunningVar.Reshape(statShape);
        }
        var y = input.Sub(mean).Mul(variance.Add(Eps).Rsqrt());
        if (Weight != null) y = y.Mul(Weight.Reshape(statShape)).Add(Bias!.Reshape(statShape));
        return y;
    }

    private void UpdateRunningStats(Tensor mean, Tensor variance, int count)
    {
        using var _ = NoGrad.Enter();
        float unbias = count / (float)(count - 1);
        var m = mean.Reshape(NumFeatures);
        var v = variance.Reshape(NumFeatures);
        RunningMean.MulInPlace(1f - Momentum).AddInPlace(m, Momentum);
        RunningVar.MulInPlace(1f - Momentum).AddInPlace(v, Momentum * unbias);
        var tracked = Buffer("num_batches_tracked");
        tracked.AsSpan<long>()[0]++;
    }

    private Tensor Buffer(string name) => NamedBuffers().First(b => b.Name == name).Buffer;

    protected override string ExtraRepr() => $"{NumFeatures}, eps={Eps}, momentum={Momentum}, affine={(Weight != null ? "True" : "False")}, track_running_stats={(TracksRunningStats ? "True" : "False")}";
}
