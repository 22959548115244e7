using System.Diagnostics;
using System.Text.Json;
using Sapling.Data;
using Sapling.Distributed;
using Sapling.Inference;
using Sapling.Models;
using Sapling.NN;
using Sapling.Optim;
using Sapling.Data.Text;
using Sapling.Training.LanguageModel.Objectives;
using Sapling.Training.Runs;
using Sapling.Training.Progress;

namespace Sapling.Training.LanguageModel;

/// <summary>
/// Language-model training on the <see cref="Trainer"/>, for every method and objective: each step's loss comes from
/// the objective (next-token, masked-LM, span corruption, instruction, preference, distillation, classification,
/// sequence-to-sequence), dropout masks are seeded from the step so a resumed run repeats exactly, and every
/// <c>eval_interval</c> steps the objective validates, a sample is written to the log and the curves grow.
/// </summary>
internal sealed class LmRecipe(LmOptions options, ITrainableModel model, ILmObjective objective, ITokenizer tokenizer, LmMethod method, Optimizer optimizer) : ITrainingRecipe
{
    public IProcessGroup ProcessGroup { get; init; } = SingleProcessGroup.Instance;

    public IProgressReporter Progress { get; init; } = SilentProgress.Instance;

    /// <summary>Where samples are logged (rank 0 of a run); null logs nothing.</summary>
    public RunFolder? Run { get; init; }

    public Module Network => model.Network;

    public TrainingUnit Unit => TrainingUnit.Step;

    public int Periods => (options.Steps + options.EvalInterval - 1) / options.EvalInterval;

    /// <summary>Samples written at the evaluations, in order.</summary>
    public List<string> Samples { get; } = [];

    /// <summary>The steps of the evaluations and their training and validation losses, earlier runs' included.</summary>
    public List<double> EvalSteps { get; } = [];
    public List<double> TrainCurve { get; } = [];
    public List<double> ValidationCurve { get; } = [];

    /// <summary>The last validation (NaN loss before the first).</summary>
    public LmValidation LastValidation { get; private set; } = new(double.NaN, new Dictionary<string, double>());

    public long TokensSeen { get; private set; }
    public int StepsRun { get; private set; }
    public double TrainingSeconds { get; private set; }

    /// <summary>Time since the first step of this process.</summary>
    public Stopwatch Clock { get; } = new();

    // Training FLOPs per token as nanoGPT and PaLM estimate them: 6 per parameter (forward and backward) plus the
    // attention score and value products, 12·layers·width·context.
    private readonly double flopsPerToken = 6.0 * model.Network.ParameterCount() + 12.0 * model.NumLayers * model.HiddenSize * Math.Min(options.Context, model.ContextLength);
    private readonly double peakFlops = Backends.Cpu.MachinePeak.Gflops(Backends.Cpu.CpuWorkers.Threads) * 1e9;
    private long resumedAt;
    private long stepStart;
    private double lossSum;
    private int lossCount;

    /// <summary>The figure that picks the best step: the validation loss, or a named validation metric (higher is better).</summary>
    public bool LowerIsBetter => options.Monitor == "val_loss";

    public int CompletedPeriods(TrainingState state)
    {
        resumedAt = state.GlobalStep;
        // A resumed run's curves begin with the evaluations its log (rewound to the checkpoint by now) holds.
        foreach (var line in state.GlobalStep > 0 && Run != null && File.Exists(Run.MetricsPath) ? File.ReadLines(Run.MetricsPath) : [])
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.GetProperty("kind").GetString() != "eval") continue;
            EvalSteps.Add(doc.RootElement.GetProperty("step").GetDouble());
            TrainCurve.Add(doc.RootElement.GetProperty("train_loss").GetDouble());
            ValidationCurve.Add(doc.RootElement.GetProperty("val_loss").GetDouble());
        }
        // Evaluations (and so checkpoints) fall on multiples of eval_interval and on the last step.
        return state.GlobalStep >= options.Steps ? Periods : (int)(state.GlobalStep / options.EvalInterval);
    }

    public IEnumerable<MicroBatch> Batches(int period)
    {
        Clock.Start();
        model.Network.Train();
        long first = Math.Max((long)(period - 1) * options.EvalInterval + 1, resumedAt + 1);
        long last = Math.Min((long)period * options.EvalInterval, options.Steps);
        // Dropout masks: ranks after the first add their rank, so the rows of one batch do not share masks.
        ulong rankSalt = ProcessGroup.Rank == 0 ? 0 : (ulong)ProcessGroup.Rank * 0x9E37_79B9UL;
        for (long step = first; step <= last; step++)
        {
            Generator.Default.ManualSeed(options.Seed * 1_000_003UL + (ulong)step + rankSalt);
            stepStart = Stopwatch.GetTimestamp();
            using var scope = new TensorScope();
            var (loss, tokens) = objective.TrainingLoss(model, step);
            float lossValue = loss.Item();
            double share = 1;
            if (ProcessGroup.Size > 1)
            {
                // Gradients are summed over ranks: each rank's mean is weighted by its share of the batch's rows.
                int rows = BatchShard.Range(options.BatchSize, ProcessGroup.Rank, ProcessGroup.Size).Count;
                loss = loss.Mul((float)rows / options.BatchSize);
                share = (double)rows / options.BatchSize;
            }
            yield return new MicroBatch(loss, lossValue, share, tokens, EndsStep: true);
        }
    }

    public IReadOnlyDictionary<string, object?>? StepFinished(StepResult step)
    {
        TrainingSeconds += Stopwatch.GetElapsedTime(stepStart).TotalSeconds;
        StepsRun++;
        TokensSeen += step.Count;
        lossSum += step.Loss;
        lossCount++;
        double tokensPerSecond = TokensSeen / Clock.Elapsed.TotalSeconds;
        Progress.BatchFinished((int)step.Step, options.Steps, lossSum / lossCount, tokensPerSecond);
        return new Dictionary<string, object?> { ["kind"] = "step", ["step"] = step.Step, ["loss"] = step.Loss, ["lr"] = optimizer.ParamGroups[0].LearningRate, ["grad_norm"] = step.GradNorm, ["tokens_per_s"] = tokensPerSecond };
    }

    public PeriodEvaluation? EndPeriod(int period, bool interrupted, TrainingState state)
    {
        // A diverged step is not evaluated: the run stops, keeping the best model evaluated before it.
        if (interrupted) return null;
        long step = state.GlobalStep;
        var validation = objective.Validate(model);
        LastValidation = validation;
        double valLoss = validation.Loss;
        var sample = !objective.WritesText || options.SampleTokens <= 0 || Run == null ? "" :
            tokenizer.Decode(TextGenerator.Generate(model.AsCausalLM(), [tokenizer.EndOfTextId], new SamplingOptions { MaxNewTokens = options.SampleTokens, Temperature = 0.8f, TopK = 20, Seed = (ulong)step }), skipSpecial: true);
        if (sample.Length > 0) Samples.Add(sample);
        model.Network.Train();
        double trainLoss = lossSum / lossCount;
        double tokensPerSecond = TokensSeen / Clock.Elapsed.TotalSeconds;
        double mfu = tokensPerSecond * flopsPerToken / peakFlops;
        EvalSteps.Add(step);
        TrainCurve.Add(trainLoss);
        ValidationCurve.Add(valLoss);
        var record = new Dictionary<string, object?> { ["kind"] = "eval", ["step"] = step, ["train_loss"] = trainLoss, ["val_loss"] = valLoss, ["val_perplexity"] = Math.Exp(valLoss), ["tokens_per_s"] = tokensPerSecond, ["mfu"] = mfu, ["sample"] = sample };
        foreach (var (name, value) in validation.Metrics) record[name] = value;
        var eta = TimeSpan.FromSeconds(Clock.Elapsed.TotalSeconds / (step - resumedAt) * (options.Steps - step));
        string extra = string.Concat(validation.Metrics.Select(m => $"  {m.Key} {m.Value:F3}"));
        Progress.Message($"step {step}/{options.Steps}  train loss {trainLoss:F3}  val loss {valLoss:F3}{LmTrainer.LossNote(objective, valLoss, objective.BaselineLoss ?? double.NaN)}{extra}  {tokensPerSecond:F0} tokens/s  MFU {mfu:P0}  ETA {eta:mm\\:ss}");
        if (sample.Length > 0)
        {
            Progress.Message("sample: " + sample.Replace("\n", " / "));
            Run?.Log($"step {step} sample: {sample.Replace("\n", " / ")}");
        }
        lossSum = 0;
        lossCount = 0;
        return new PeriodEvaluation(Monitored(validation)) { LogRecord = record };
    }

    /// <summary>The monitored figure of a validation: its loss, or the named metric.</summary>
    public double Monitored(LmValidation validation)
    {
        if (LowerIsBetter) return validation.Loss;
        return validation.Metrics.TryGetValue(options.Monitor, out double value) ? value
            : throw new ArgumentException($"{OptionNames.Of(nameof(LmOptions.Monitor))} '{options.Monitor}' is not a validation figure of {OptionNames.Of(nameof(LmOptions.Method))} {options.Method.ConfigName()}; it has val_loss{string.Concat(validation.Metrics.Keys.Select(k => ", " + k))}");
    }

    public void SaveBest(string directory) => method.Save(directory, model, tokenizer);
}
