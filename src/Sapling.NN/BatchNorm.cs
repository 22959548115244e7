namespace Sapling.NN;

/// <summary>
/// Batch normalisation over the channel dimension (dimension 1). Training normalises with the batch's mean and
/// biased variance and updates running estimates (unbiased variance, momentum 0.1); evaluation uses the estimates.
/// </summary>
public abstract class BatchNorm : Module<Tensor, Tensor>
{
    private readonly int expectedRank;

    /// <summary>Creates the layer; called by the subclasses that fix the input rank.</summary>
    /// <param name="numFeatures">Channels C (dimension 1 of the input).</param>
    /// <param name="eps">Added to the variance before the square root, for stability.</param>
    /// <param name="momentum">Weight of the new batch in the running estimates: r ← (1 − m)·r + m·batch.</param>
    /// <param name="affine">Whether to learn a per-channel scale (<see cref="Weight"/>) and shift
    /// (<see cref="Bias"/>).</param>
    /// <param name="trackRunningStats">Whether to keep running mean and variance; without them evaluation also uses
    /// batch statistics.</param>
    /// <param name="expectedRank">4 for [N, C, H, W]; 3 for [N, C, L], which also accepts [N, C].</param>
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

    /// <summary>Channels C normalised separately.</summary>
    public int NumFeatures { get; }
    /// <summary>Added to the variance before the square root.</summary>
    public float Eps { get; }
    /// <summary>Weight of the current batch when updating the running estimates.</summary>
    public float Momentum { get; }
    /// <summary>
    /// Whether running mean and variance are kept (buffers running_mean, running_var, num_batches_tracked).
    /// </summary>
    public bool TracksRunningStats { get; }
    /// <summary>The per-channel scale γ [C], initialised to ones; null when not affine.</summary>
    public Tensor? Weight { get; }
    /// <summary>The per-channel shift β [C], initialised to zeros; null when not affine.</summary>
    public Tensor? Bias { get; }

    /// <summary>The running mean [C] (buffer "running_mean"); throws when running statistics are not tracked.</summary>
    public Tensor RunningMean => TracksRunningStats ? Buffer("running_mean") : throw NoRunningStatistics();
    /// <summary>
    /// The running unbiased variance [C] (buffer "running_var"); throws when running statistics are not tracked.
    /// </summary>
    public Tensor RunningVar => TracksRunningStats ? Buffer("running_var") : throw NoRunningStatistics();

    private static InvalidOperationException NoRunningStatistics() =>
        new("this batch norm was created with trackRunningStats: false and keeps no running mean or variance");

    /// <summary>
    /// Normalises each channel of input [N, C, …] and returns the same shape. In training (or without running
    /// statistics) it uses the batch's statistics, and in training it updates the running ones; in evaluation it uses
    /// the running estimates. Throws on the wrong rank or channel count, or a training batch with one value per
    /// channel.
    /// </summary>
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

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{NumFeatures}, eps={Eps}, momentum={Momentum}, affine={(Weight != null ? "True" : "False")}, track_running_stats={(TracksRunningStats ? "True" : "False")}";
}
