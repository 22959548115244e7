using Sapling.Models;
using Sapling.Data.Text;

namespace Sapling.Training.LanguageModel.Objectives;

/// <summary>
/// What the encoder-decoder pre-training objectives share (T5's span corruption, BART's denoising): each step draws
/// windows of the token stream, corrupts every window with the objective's own noise (seeded by the step), and the
/// model writes the target under teacher forcing, eos ending both sides; validation corrupts fixed windows with fixed
/// seeds, so its loss is comparable from one evaluation to the next.
/// </summary>
public abstract class CorruptedWindowsObjective : ILmObjective
{
    private readonly ulong trainSeedFactor, validationSeed;
    private readonly string name, architectures;

    /// <param name="trainSeedFactor">Multiplies the run's seed before the step is mixed in (each objective draws its own noise).</param>
    /// <param name="validationSeed">The first validation batch's seed; later batches count up from it.</param>
    /// <param name="name">The objective's name in messages ("span corruption").</param>
    /// <param name="architectures">The model.architecture values it pre-trains, for the refusal of other models.</param>
    protected CorruptedWindowsObjective(TokenData data, ITokenizer tokenizer, LmOptions options, ulong trainSeedFactor, ulong validationSeed, string name, string architectures)
    {
        (Data, Options, this.trainSeedFactor, this.validationSeed, this.name, this.architectures) = (data, options, trainSeedFactor, validationSeed, name, architectures);
        EosId = tokenizer.EndOfTextId >= 0 ? tokenizer.EndOfTextId : throw new InvalidDataException($"{name} needs an end-of-text token to end inputs and targets");
    }

    /// <summary>The token stream the windows are drawn from, already split into training and validation.</summary>
    protected TokenData Data { get; }

    /// <summary>
    /// The run's options (batch size, context, seed, label smoothing and the objective's own noise settings).
    /// </summary>
    protected LmOptions Options { get; }

    /// <summary>The end-of-text id that ends every source and target.</summary>
    protected int EosId { get; }

    /// <inheritdoc/>
    public double? BaselineLoss => null;

    /// <inheritdoc/>
    public bool WritesText => false;

    /// <inheritdoc/>
    public abstract string Describe();

    /// <summary>The encoder's input and the decoder's target for one window, both without eos.</summary>
    protected abstract (int[] Source, int[] Target) CorruptWindow(int[] window, Generator g);

    /// <inheritdoc/>
    public (Tensor Loss, long Tokens) TrainingLoss(ITrainableModel model, long step)
    {
        var (windows, _) = Data.TrainBatch(Options.BatchSize, Options.Context - 1, Options.Seed, step);
        var (sources, targets) = CorruptBatch(windows, new Generator(Options.Seed * trainSeedFactor ^ (ulong)step));
        return Seq2SeqObjective.TeacherForcedLoss(AsSeq2Seq(model), sources, targets, Options.LabelSmoothing, Reduction.Mean);
    }

    /// <inheritdoc/>
    public LmValidation Validate(ITrainableModel trainable)
    {
        var model = AsSeq2Seq(trainable);
        model.Network.Eval();
        using var _ = Autograd.NoGrad.Enter();
        double sum = 0;
        long count = 0;
        int batch = 0;
        foreach (var (windows, _) in TokenData.Windows(Data.Validation, Options.BatchSize, Options.Context - 1, Options.EvalBatches))
        {
            using var scope = new TensorScope();
            var (sources, targets) = CorruptBatch(windows, new Generator(validationSeed + (ulong)batch++));
            var (loss, tokens) = Seq2SeqObjective.TeacherForcedLoss(model, sources, targets, 0f, Reduction.Sum);
            sum += loss.Item();
            count += tokens;
        }
        return LmValidation.OfLoss(sum / Math.Max(count, 1));
    }

    private ISeq2SeqLM AsSeq2Seq(ITrainableModel model) => model as ISeq2SeqLM
        ?? throw new NotSupportedException($"{name} pre-trains encoder-decoders ({OptionNames.Of(nameof(LmOptions.Architecture))} {architectures}), not model_type '{model.ModelType}'");

    private (int[][] Sources, int[][] Targets) CorruptBatch(Tensor windows, Generator g)
    {
        int b = windows.Shape[0], w = windows.Shape[1];
        var tokens = windows.ToArray<long>();
        var sources = new int[b][];
        var targets = new int[b][];
        for (int r = 0; r < b; r++)
        {
            var window = new int[w];
            for (int i = 0; i < w; i++) window[i] = (int)tokens[r * w + i];
            var (source, target) = CorruptWindow(window, g);
            (sources[r], targets[r]) = ([.. source, EosId], [.. target, EosId]);
        }
        return (sources, targets);
    }
}
