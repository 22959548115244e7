using System.Text.Json;
using Sapling.Autograd;
using Sapling.Data;
using Sapling.Distributed;
using Sapling.Training.Evaluation;
using Sapling.Models.Classifiers;
using Sapling.NN;
using Sapling.Optim;
using Sapling.Training.Plots;
using Sapling.Training.Runs;
using Sapling.Training.Progress;
using Sapling.Training.Guards;

namespace Sapling.Training.Classification;

/// <summary>
/// Trains an image or table classifier end to end: epochs of mini-batch training with validation, live progress,
/// metrics log, checkpoints every epoch (resumable exactly), best-model selection with early stopping, warnings
/// when training looks wrong, then a test-set report, confusion matrix and curves in the run folder.
/// </summary>
public sealed class ClassificationTrainer(ClassifierConfig modelConfig, DataOptions dataOptions, TrainingOptions options, IProgressReporter? progress = null)
{
    private readonly IProgressReporter reporter = progress ?? new ConsoleProgress();

    /// <summary>
    /// The processes training this model together (data parallelism: each takes a shard of every batch, gradients are
    /// summed across them); the default single-process group trains alone. Only rank 0 reports and writes the run folder.
    /// </summary>
    public IProcessGroup ProcessGroup { get; init; } = SingleProcessGroup.Instance;

    /// <summary>
    /// How gradients are synchronised across <see cref="ProcessGroup"/>'s ranks (bucket size, overlap, drills).
    /// </summary>
    public DataParallelOptions Parallelism { get; init; } = new();

    private IProgressReporter progress => ProcessGroup.Rank == 0 ? reporter : SilentProgress.Instance;

    private bool IsWriter => ProcessGroup.Rank == 0;

    /// <summary>
    /// Called after every completed epoch (its checkpoint already saved); returning false ends the run there, which
    /// then finishes normally with the best model so far. A hyper-parameter sweep uses it to prune poor trials.
    /// </summary>
    public Func<EpochRecord, bool>? ContinueAfterEpoch { get; init; }

    /// <summary>
    /// Loads and splits the data, trains into the run folder <paramref name="runDirectory"/> and evaluates on the
    /// test split. <paramref name="resumeFrom"/> (a run folder, its checkpoints folder or one checkpoint) continues an
    /// interrupted run; <paramref name="resolvedConfigYaml"/>, when given, is saved as the run's config.yaml.
    /// </summary>
    public ClassificationResult Run(string runDirectory, string? resumeFrom = null, string? resolvedConfigYaml = null)
    {
        options.Validate();
        // A pretrained model's inputs must be preprocessed as in its pretraining, so its statistics are reused.
        var pretrainedNormalization = options.InitFrom != null ? ClassifierFolder.ReadConfig(options.InitFrom).Normalization : null;
        return Run(ClassificationData.Load(dataOptions, pretrainedNormalization), runDirectory, resumeFrom, resolvedConfigYaml);
    }

    /// <summary>Trains on data already loaded and split (an active-learning loop retrains on a growing labelled subset).</summary>
    public ClassificationResult Run(ClassificationData data, string runDirectory, string? resumeFrom = null, string? resolvedConfigYaml = null)
    {
        options.Validate();
        Parallelism.Validate();
        var group = ProcessGroup;
        var run = new RunFolder(runDirectory, create: IsWriter);
        if (resolvedConfigYaml != null && IsWriter) File.WriteAllText(run.ConfigPath, resolvedConfigYaml);
        foreach (var note in data.Notes) progress.Message(note);
        var classifier = BuildModel(data);
        var model = classifier.Module;
        progress.Message($"{classifier.Config.ModelType}: {model.ParameterCount():N0} parameters ({model.ParameterCount(trainableOnly: true):N0} trainable); {data.Train.Count} train / {data.Validation.Count} validation / {data.Test.Count} test examples; {data.ClassNames.Length} classes");

        var optimizer = BuildOptimizer(classifier);
        // train.batch_size is the global batch: each rank takes its shard, so the schedule, clipping and accumulation
        // see the same steps however many ranks there are.
        var trainLoader = new DataLoader(data.Train, options.BatchSize, shuffle: true, seed: options.Seed,
            transform: options.Augment.IsIdentity || data.ExampleShape.Length != 3 ? null : options.Augment.Apply, shard: new BatchShard(group.Rank, group.Size));
        int stepsPerEpoch = options.StepsPerEpoch(trainLoader.BatchesPerEpoch);
        var scheduler = options.NewScheduler(optimizer, stepsPerEpoch, options.Epochs);
        var recipe = new ClassificationRecipe(model, optimizer, trainLoader, options, options.Epochs)
        {
            Validation = data.Validation,
            Schedule = scheduler,
            Plateau = options.Schedule == LrScheduleType.Plateau ? new ReduceLROnPlateau(optimizer, factor: options.Gamma, patience: options.PlateauPatience) : null,
            ProcessGroup = group, Progress = progress, Run = IsWriter ? run : null,
            Save = directory => ClassifierFolder.Save(directory, WithData(classifier, data)),
            BeforeEpoch = options.FreezeBackboneEpochs > 0 ? epoch => SetBackboneFrozen(classifier, epoch) : null,
        };
        var outcome = new Trainer(recipe, optimizer)
        {
            GradClip = options.GradClip, StepSchedule = recipe.StepSchedule, Schedule = scheduler,
            LowerIsBetter = options.Monitor != "val_accuracy", Monitor = options.Monitor, Patience = options.Patience,
            // Every epoch is reported, the last included, so the caller sees the whole history.
            ContinueAfterPeriod = ContinueAfterEpoch == null ? null : _ => ContinueAfterEpoch(recipe.LastRecord!),
            ProcessGroup = group, Parallelism = Parallelism, Progress = progress, Run = run,
        }.Fit(resumeFrom);
        var state = outcome.State;
        var history = state.History;
        bool stoppedEarly = outcome.StoppedEarly, diverged = outcome.Diverged, stoppedByCaller = outcome.StoppedByCaller;

        // Ranks other than 0 have the same weights and history but write nothing: they report on their last weights.
        if (!IsWriter)
        {
            var (lastTest, _) = Report(model, data.Test, data.ClassNames);
            var (lastValidation, _) = Report(model, data.Validation, data.ClassNames);
            return new ClassificationResult(run.Root, run.ModelDirectory, lastTest, lastValidation, state.BestEpoch, history, stoppedEarly, diverged, stoppedByCaller);
        }

        // The final model is the best one seen on validation; the test set is touched only here. Weights that are not
        // finite are never written as the result.
        if (!Directory.Exists(run.BestModelDirectory) && (diverged || !model.Parameters().All(p => p.AllFinite())))
        {
            WriteDivergedResults(run, history);
            throw new TrainingDivergedException($"training diverged before any epoch finished with finite weights; no model was saved in {run.Root} (its metrics.jsonl and train.log show the losses); lower {OptionNames.Of(nameof(TrainingOptions.LearningRate))} or set {OptionNames.Of(nameof(TrainingOptions.GradClip))}");
        }
        var best = Directory.Exists(run.BestModelDirectory) ? ClassifierFolder.Load(run.BestModelDirectory) : WithData(classifier, data);
        ClassifierFolder.Save(run.ModelDirectory, best);
        var (testReport, confusion) = Report(best.Module, data.Test, data.ClassNames);
        var (valReport, _) = Report(best.Module, data.Validation, data.ClassNames);
        WriteOutputs(run, history, testReport, confusion, data.ClassNames, valReport, state.BestEpoch, stoppedEarly, diverged, stoppedByCaller);
        progress.Message($"test accuracy {testReport.Accuracy:P2}, macro F1 {testReport.MacroF1:F4} (best epoch {state.BestEpoch}); model saved to {run.ModelDirectory}");
        return new ClassificationResult(run.Root, run.ModelDirectory, testReport, valReport, state.BestEpoch, history, stoppedEarly, diverged, stoppedByCaller);
    }

    /// <summary>Mean loss and accuracy over a dataset in eval mode, without gradients.</summary>
    public static (double Loss, double Accuracy) Evaluate(Module<Tensor, Tensor> model, IDataset data, int batchSize = 256)
    {
        model.Eval();
        using var _ = NoGrad.Enter();
        double lossSum = 0;
        long correct = 0;
        var loader = new DataLoader(data, batchSize, prefetch: 0);
        foreach (var (x, y) in loader.Epoch(0))
        {
            using var scope = new TensorScope();
            var logits = model.Forward(x);
            lossSum += Tensor.CrossEntropy(logits, y, Reduction.Sum).Item();
            correct += ClassificationRecipe.CountCorrect(logits, y);
            x.Dispose();
            y.Dispose();
        }
        return (lossSum / data.Count, (double)correct / data.Count);
    }

    /// <summary>Predicted class ids for every example (eval mode, batched).</summary>
    public static long[] Predict(Module<Tensor, Tensor> model, IDataset data, int batchSize = 256)
    {
        model.Eval();
        using var _ = NoGrad.Enter();
        var predictions = new List<long>(data.Count);
        foreach (var (x, y) in new DataLoader(data, batchSize, prefetch: 0).Epoch(0))
        {
            using var scope = new TensorScope();
            predictions.AddRange(model.Forward(x).ArgMax(-1).ToArray<long>());
            x.Dispose();
            y.Dispose();
        }
        return predictions.ToArray();
    }

    private static (ClassificationReport Report, long[,] Confusion) Report(Module<Tensor, Tensor> model, TensorDataset data, string[] classNames)
    {
        var predicted = Predict(model, data);
        return (ClassificationReport.Create<long>(data.Labels, predicted, classNames.Length, classNames), Metrics.ConfusionMatrix<long>(data.Labels, predicted, classNames.Length));
    }

    private IClassifier BuildModel(ClassificationData data)
    {
        var generator = new Generator(options.Seed + 17);
        if (options.InitFrom == null)
        {
            var config = modelConfig with { InputShape = data.ExampleShape, NumClasses = data.ClassNames.Length };
            config.Validate("model settings");
            var created = ClassifierFolder.Create(config, generator);
            // A frozen random backbone: the baseline that shows what pretrained features add.
            if (options.FreezeBackbone)
                foreach (var pattern in created.BackbonePatterns) created.Module.Freeze(pattern);
            return created;
        }
        var pretrained = ClassifierFolder.Load(options.InitFrom);
        // A torchvision ResNet pools globally, so it takes any image size; only the channels must agree.
        if (pretrained is TorchvisionResNetClassifier)
        {
            if (data.ExampleShape.Length != 3 || data.ExampleShape[0] != pretrained.Config.InputShape[0])
                throw new ArgumentException($"{OptionNames.Of(nameof(TrainingOptions.InitFrom))}: the ResNet in '{options.InitFrom}' takes {pretrained.Config.InputShape[0]}-channel images, the data has examples of shape [{string.Join(", ", data.ExampleShape)}] (set {OptionNames.Of(nameof(DataOptions.ImageChannels))})");
        }
        else if (!pretrained.Config.InputShape.SequenceEqual(data.ExampleShape))
            throw new ArgumentException($"{OptionNames.Of(nameof(TrainingOptions.InitFrom))}: the model in '{options.InitFrom}' takes inputs of shape [{string.Join(", ", pretrained.Config.InputShape)}], the data has [{string.Join(", ", data.ExampleShape)}]");
        pretrained.Module.Train();
        progress.Message($"transfer learning from {options.InitFrom}: a new {data.ClassNames.Length}-class head on the pretrained backbone");
        pretrained.ReplaceHead(data.ClassNames.Length, generator);
        if (options.FreezeBackbone)
            foreach (var pattern in pretrained.BackbonePatterns) pretrained.Module.Freeze(pattern);
        return pretrained;
    }

    /// <summary>The frozen phase of transfer learning: the backbone trains from epoch freeze_backbone_epochs + 1 on.</summary>
    private void SetBackboneFrozen(IClassifier classifier, int epoch)
    {
        bool frozen = epoch <= options.FreezeBackboneEpochs;
        foreach (var pattern in classifier.BackbonePatterns)
            if (frozen) classifier.Module.Freeze(pattern);
            else classifier.Module.Unfreeze(pattern);
        if (epoch == options.FreezeBackboneEpochs + 1)
            progress.Message($"epoch {epoch}: the backbone joins training at {options.BackboneLearningRateScale:G3} × the learning rate");
    }

    private Optimizer BuildOptimizer(IClassifier classifier)
    {
        var model = classifier.Module;
        var trainable = model.NamedParameters().Where(p => p.Parameter.RequiresGrad).ToList();
        if (trainable.Count == 0) throw new InvalidOperationException("nothing to train: every parameter is frozen");
        List<ParamGroup> groups;
        if (options.InitFrom != null && (options.BackboneLearningRateScale != 1 || options.FreezeBackboneEpochs > 0) && !options.FreezeBackbone)
        {
            bool InBackbone(string name) => classifier.BackbonePatterns.Any(pattern => name.StartsWith(pattern.TrimEnd('*'), StringComparison.Ordinal));
            var head = trainable.Where(p => !InBackbone(p.Name)).Select(p => p.Parameter).ToList();
            var backbone = trainable.Where(p => InBackbone(p.Name)).Select(p => p.Parameter).ToList();
            groups = [new ParamGroup(backbone, learningRate: options.LearningRate * options.BackboneLearningRateScale), new ParamGroup(head)];
        }
        else
        {
            groups = [new ParamGroup(trainable.Select(p => p.Parameter))];
        }
        return options.NewOptimizer(groups);
    }

    private static IClassifier WithData(IClassifier classifier, ClassificationData data)
    {
        var labels = data.ClassNames.Select((n, i) => (n, i)).ToDictionary(p => p.i.ToString(System.Globalization.CultureInfo.InvariantCulture), p => p.n);
        return new ConfiguredClassifier(classifier, classifier.Config with { Id2Label = labels, Normalization = data.Normalization, InputScale = data.InputScale, InputShape = data.ExampleShape, ResizeShorterSide = data.ResizeShorterSide });
    }

    /// <summary>Loss and accuracy per epoch, train and validation.</summary>
    private static LinePlot Curves(List<EpochRecord> history, string title)
    {
        var plot = new LinePlot { Title = title, XLabel = "epoch" };
        var epochs = history.Select(h => (double)h.Epoch);
        var losses = plot.AddPanel("loss");
        losses.Add("train loss", epochs, history.Select(h => h.TrainLoss));
        losses.Add("validation loss", epochs, history.Select(h => h.ValLoss));
        var accuracy = plot.AddPanel("accuracy");
        accuracy.Add("train accuracy", epochs, history.Select(h => h.TrainAccuracy));
        accuracy.Add("validation accuracy", epochs, history.Select(h => h.ValAccuracy));
        return plot;
    }

    /// <summary>What a run that diverged before keeping any model still writes: its curves and a results.json saying so.</summary>
    private static void WriteDivergedResults(RunFolder run, List<EpochRecord> history)
    {
        Curves(history, "Training curves (diverged)").Save(run.CurvesPath);
        var results = new Dictionary<string, object?> { ["diverged"] = true, ["model"] = null, ["epochs_run"] = history.Count };
        IO.AtomicFile.Write(run.ResultsPath, s => JsonSerializer.Serialize(s, results, JsonNumbers.Indented));
    }

    private static void WriteOutputs(RunFolder run, List<EpochRecord> history, ClassificationReport test, long[,] confusion, string[] classNames, ClassificationReport validation, int bestEpoch, bool stoppedEarly, bool diverged, bool stoppedByCaller)
    {
        Curves(history, "Training curves").Save(run.CurvesPath);
        new ConfusionMatrixPlot(confusion, classNames) { Title = "Test confusion matrix" }.Save(run.ConfusionMatrixPath);
        File.WriteAllText(run.ReportPath, test.ToText() + Environment.NewLine + ConfusionMatrixText.Render(confusion, classNames));
        var results = new Dictionary<string, object?>
        {
            ["test"] = JsonSerializer.Deserialize<JsonElement>(test.ToJson()),
            ["validation"] = JsonSerializer.Deserialize<JsonElement>(validation.ToJson()),
            ["best_epoch"] = bestEpoch,
            ["epochs_run"] = history.Count,
            ["stopped_early"] = stoppedEarly,
            ["diverged"] = diverged,
            ["stopped_by_caller"] = stoppedByCaller,
        };
        IO.AtomicFile.Write(run.ResultsPath, s => JsonSerializer.Serialize(s, results, JsonNumbers.Indented));
    }

    /// <summary>A classifier seen with a different config (labels and preprocessing added for saving).</summary>
    private sealed class ConfiguredClassifier(IClassifier inner, ClassifierConfig config) : IClassifier
    {
        public ClassifierConfig Config => config;
        public Module<Tensor, Tensor> Module => inner.Module;
        public IReadOnlyList<string> BackbonePatterns => inner.BackbonePatterns;
        public void ReplaceHead(int numClasses, Generator? generator = null) => inner.ReplaceHead(numClasses, generator);
    }
}
