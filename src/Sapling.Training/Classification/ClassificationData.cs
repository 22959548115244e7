using Sapling.Data;
using Sapling.Models.Classifiers;
using Sapling.Data.Vision;

namespace Sapling.Training.Classification;

/// <summary>Loaded, filtered, split and normalised train/validation/test sets, with what inference will need to repeat it.</summary>
public sealed class ClassificationData
{
    private ClassificationData(TensorDataset train, TensorDataset validation, TensorDataset test, long[] testRows, string[] classNames, NormalizationConfig? normalization, int[] exampleShape, float inputScale, IReadOnlyList<string> notes)
        => (Train, Validation, Test, TestRows, ClassNames, Normalization, ExampleShape, InputScale, Notes) = (train, validation, test, testRows, classNames, normalization, exampleShape, inputScale, notes);

    /// <summary>The training split, after any class filter and subsetting.</summary>
    public TensorDataset Train { get; }
    /// <summary>The validation split, stratified by class.</summary>
    public TensorDataset Validation { get; }
    /// <summary>The held-out test split, stratified by class.</summary>
    public TensorDataset Test { get; }

    /// <summary>Positions of the test examples in the source (rows of the CSV, files of the folder), before class filtering.</summary>
    public long[] TestRows { get; }
    /// <summary>The class names; class i is the label i.</summary>
    public string[] ClassNames { get; }
    /// <summary>
    /// The mean and standard deviation inputs were normalised with (saved with the model so inference repeats it);
    /// null when <c>data.normalize</c> is off.
    /// </summary>
    public NormalizationConfig? Normalization { get; }
    /// <summary>The shape of one example (e.g. [64] for a CSV row, [3, 32, 32] for an image).</summary>
    public int[] ExampleShape { get; }
    /// <summary>The divisor applied to raw values before normalisation (<c>data.input_scale</c>).</summary>
    public float InputScale { get; }
    /// <summary>Remarks about the loading for the log (unreadable images skipped, training subsets taken).</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>The shorter side images were scaled to before their centre was cropped; null when they were stretched.</summary>
    public int? ResizeShorterSide { get; private init; }

    /// <summary>The embedded digits shipped beside the program (data/digits.csv.gz).</summary>
    public static string DefaultDigitsPath => System.IO.Path.Combine(AppContext.BaseDirectory, "data", "digits.csv.gz");

    /// <summary>
    /// Loads and splits the data. With <paramref name="fixedNormalization"/> (a pretrained model's statistics) inputs
    /// are normalised exactly as that model saw them in pretraining, instead of by statistics of the new training set.
    /// </summary>
    public static ClassificationData Load(DataOptions options, NormalizationConfig? fixedNormalization = null)
    {
        var notes = new List<string>();
        Tensor inputs;
        long[] labels;
        string[] names;
        if (options.Format == DataFormat.ImageFolder)
        {
            var folder = ImageFolder.Load(options.Path ?? throw new ArgumentException($"{OptionNames.Of(nameof(DataOptions.Path))} must name the image folder"), options.ImageHeight, options.ImageWidth, options.ImageChannels, options.OnUnreadableImage, options.ResizeShorterSide);
            foreach (var (file, reason) in folder.Skipped) notes.Add($"skipped unreadable image {file}: {reason}");
            (inputs, labels, names) = (folder.Dataset.Inputs, folder.Dataset.Labels, folder.ClassNames);
        }
        else if (options.Format == DataFormat.Csv)
        {
            var path = options.Path ?? DefaultDigitsPath;
            var table = CsvTable.Read(path, options.LabelColumn);
            (inputs, labels, names) = (Tensor.FromArray(table.Features, table.Rows, table.Columns), table.Labels, table.ClassNames);
        }
        else
        {
            throw new ArgumentException($"{OptionNames.Of(nameof(DataOptions.Format))}: {(int)options.Format} is not a data format");
        }

        var sourceRows = Enumerable.Range(0, labels.Length).Select(i => (long)i).ToArray();
        if (options.Classes is { } keep)
        {
            var map = keep.Select((c, i) => (c, i)).ToDictionary(p => (long)p.c, p => (long)p.i);
            foreach (var c in keep)
                if (c < 0 || c >= names.Length) throw new ArgumentException($"{OptionNames.Of(nameof(DataOptions.Classes))}: class {c} does not exist ({names.Length} classes)");
            var rows = Enumerable.Range(0, labels.Length).Where(i => map.ContainsKey(labels[i])).Select(i => (long)i).ToArray();
            inputs = inputs.IndexSelect(0, Tensor.FromArray(rows));
            sourceRows = rows;
            labels = rows.Select(i => map[labels[i]]).ToArray();
            names = keep.Select(c => names[c]).ToArray();
        }

        if (options.InputScale != 1f) inputs = inputs.Div(options.InputScale);
        var shape = options.ExampleShape ?? inputs.Shape.Skip(1).ToArray();
        inputs = inputs.Reshape([inputs.Shape[0], .. shape]);

        var outer = Splits.Stratified(labels, [1 - options.TestFraction, options.TestFraction], options.SplitSeed);
        var trainValLabels = outer[0].Select(i => labels[i]).ToArray();
        var inner = Splits.Stratified(trainValLabels, [1 - options.ValidationFraction, options.ValidationFraction], options.SplitSeed + 1);
        var trainIdx = inner[0].Select(i => outer[0][i]).ToArray();
        var valIdx = inner[1].Select(i => outer[0][i]).ToArray();
        if (options.TrainSubset < 1.0)
        {
            var subset = Splits.Stratified(trainIdx.Select(i => labels[i]).ToArray(), [options.TrainSubset, 1 - options.TrainSubset], options.SplitSeed + 2)[0];
            trainIdx = subset.Select(i => trainIdx[i]).ToArray();
            notes.Add($"training on {trainIdx.Length} examples ({options.TrainSubset:P0} of the training split)");
        }
        if (options.TrainPerClass is int perClass)
        {
            if (perClass < 1) throw new ArgumentException($"{OptionNames.Of(nameof(DataOptions.TrainPerClass))} must be positive, got {perClass}");
            // A seeded shuffle of the training split, then the first examples of each class.
            var order = trainIdx.ToArray();
            new Random((int)(options.SplitSeed % int.MaxValue) + 3).Shuffle(order);
            var taken = new Dictionary<long, int>();
            trainIdx = order.Where(i => (taken[labels[i]] = taken.GetValueOrDefault(labels[i]) + 1) <= perClass).Order().ToArray();
            notes.Add($"training on {trainIdx.Length} examples (at most {perClass} of each class)");
        }
        var all = new TensorDataset(inputs, Tensor.FromArray(labels));
        var train = all.Subset(trainIdx);
        NormalizationConfig? normalization = fixedNormalization;
        if (options.Normalize && normalization == null)
        {
            var n = Normalizer.Fit(train.Inputs);
            normalization = new NormalizationConfig(n.Mean, n.Std);
        }
        if (normalization != null)
        {
            all = new TensorDataset(Preprocess(inputs, normalization), Tensor.FromArray(labels));
            train = all.Subset(trainIdx);
        }
        return new ClassificationData(train, all.Subset(valIdx), all.Subset(outer[1]), outer[1].Select(i => sourceRows[i]).ToArray(), names, normalization, shape, options.InputScale, notes)
        {
            ResizeShorterSide = options.Format == DataFormat.ImageFolder && options.ResizeShorterSide > 0 ? options.ResizeShorterSide : null,
        };
    }

    /// <summary>
    /// The same splits with training restricted to <paramref name="trainPositions"/> (positions in <see cref="Train"/>):
    /// the labelled part of a pool in active learning. Normalisation stays that of the whole training split, since
    /// unlabelled pixels are free to look at.
    /// </summary>
    public ClassificationData WithTrainingSubset(IReadOnlyCollection<long> trainPositions) =>
        new(Train.Subset(trainPositions.ToArray()), Validation, Test, TestRows, ClassNames, Normalization, ExampleShape, InputScale, []) { ResizeShorterSide = ResizeShorterSide };

    /// <summary>The same normalisation a saved model applies at inference.</summary>
    public static Tensor Preprocess(Tensor inputs, NormalizationConfig? normalization) =>
        normalization == null ? inputs : new Normalizer(normalization.Mean, normalization.Std).Apply(inputs);
}
