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
        bool useBatch = Training || !TracksRunningStats;
        if (Training && input.NumEl / NumFeatures <= 1)
            throw new ArgumentException($"{GetType().Name}: expected more than one value per channel when training, got input shape {ShapeUtil.Format(input.Shape.ToArray())}");
        bool update = Training && TracksRunningStats;
        var y = Tensor.BatchNorm(input, update || !useBatch ? RunningMean : null, update || !useBatch ? RunningVar : null, Weight, Bias, useBatch, Momentum, Eps);
        if (update) Buffer("num_batches_tracked").AsSpan<long>()[0]++;
        return y;
    }

    /// <summary>
    /// The evaluation-mode normalisation as y = x·scale + shift per channel: scale = γ/√(running_var + ε),
    /// shift = β − running_mean·scale. New tensors, no graph.
    /// </summary>
    public (Tensor Scale, Tensor Shift) EvaluationAffine()
    {
        if (!TracksRunningStats) throw new InvalidOperationException($"{GetType().Name}({NumFeatures}) keeps no running statistics, so it has no evaluation-mode affine form");
        return Tensor.BatchNormAffine(RunningMean, RunningVar, Weight, Bias, Eps);
    }

    private Tensor Buffer(string name) => NamedBuffers().First(b => b.Name == name).Buffer;

    protected override string ExtraRepr() => $"{NumFeatures}, eps={Eps}, momentum={Momentum}, affine={(Weight != null ? "True" : "False")}, track_running_stats={(TracksRunningStats ? "True" : "False")}";
}
