using System.Numerics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sapling.Training.Evaluation;

/// <summary>
/// Per-class precision, recall, F1 and support with their macro, micro and weighted averages and the accuracy:
/// scikit-learn's classification_report as an object. <see cref="ToText"/> prints scikit-learn's table character for
/// character; System.Text.Json writes it as <c>{"accuracy":..,"macro_f1":..,"per_class":[{"label":0,...}]}</c>.
/// </summary>
[JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
public sealed record ClassificationReport
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Share of all samples predicted correctly.</summary>
    [JsonPropertyName("accuracy")] public required double Accuracy { get; init; }
    /// <summary>Unweighted mean of the classes' precisions.</summary>
    [JsonPropertyName("macro_precision")] public required double MacroPrecision { get; init; }
    /// <summary>Unweighted mean of the classes' recalls.</summary>
    [JsonPropertyName("macro_recall")] public required double MacroRecall { get; init; }
    /// <summary>Unweighted mean of the classes' F1 scores.</summary>
    [JsonPropertyName("macro_f1")] public required double MacroF1 { get; init; }
    /// <summary>Precision from the counts pooled over the listed classes.</summary>
    [JsonPropertyName("micro_precision")] public required double MicroPrecision { get; init; }
    /// <summary>Recall from the counts pooled over the listed classes.</summary>
    [JsonPropertyName("micro_recall")] public required double MicroRecall { get; init; }
    /// <summary>F1 from the true/false positives and negatives pooled over the listed classes.</summary>
    [JsonPropertyName("micro_f1")] public required double MicroF1 { get; init; }
    /// <summary>Precision averaged over classes, each weighted by its support.</summary>
    [JsonPropertyName("weighted_precision")] public required double WeightedPrecision { get; init; }
    /// <summary>Recall averaged over classes, each weighted by its support.</summary>
    [JsonPropertyName("weighted_recall")] public required double WeightedRecall { get; init; }
    /// <summary>F1 averaged over classes, each weighted by its support.</summary>
    [JsonPropertyName("weighted_f1")] public required double WeightedF1 { get; init; }

    /// <summary>True samples of the listed classes.</summary>
    [JsonPropertyName("support")] public required long Support { get; init; }

    /// <summary>One row per listed class, in the order of the labels.</summary>
    [JsonPropertyName("per_class")] public required IReadOnlyList<ClassScore> PerClass { get; init; }

    /// <summary>
    /// scikit-learn prints an "accuracy" row only when the listed classes are exactly those in the data (then micro
    /// averages equal the accuracy); otherwise a "micro avg" row.
    /// </summary>
    [JsonIgnore] internal bool MicroIsAccuracy { get; init; } = true;

    /// <summary>Report over the classes 0..numClasses-1; <paramref name="classNames"/>[i] names class i.</summary>
    public static ClassificationReport Create<T>(ReadOnlySpan<T> yTrue, ReadOnlySpan<T> yPred, int numClasses, IReadOnlyList<string>? classNames = null)
        where T : IBinaryInteger<T>
        => Create(yTrue, yPred, LabelIndex.ForClassCount(numClasses), classNames);

    /// <summary>Report over the listed classes, in that order; <paramref name="classNames"/>[i] names labels[i].</summary>
    public static ClassificationReport Create<T>(ReadOnlySpan<T> yTrue, ReadOnlySpan<T> yPred, ReadOnlySpan<int> labels, IReadOnlyList<string>? classNames = null)
        where T : IBinaryInteger<T>
        => Create(yTrue, yPred, LabelIndex.ForLabels(labels), classNames);

    /// <summary>Report of labels [N] against labels [N] or scores [N, C] (arg-max).</summary>
    public static ClassificationReport Create(Tensor yTrue, Tensor yPred, int numClasses, IReadOnlyList<string>? classNames = null)
    {
        var truth = Metrics.Labels(yTrue, nameof(yTrue));
        var predicted = Metrics.Predictions(yPred, nameof(yPred));
        return Create<long>(truth, predicted, numClasses, classNames);
    }

    /// <summary>The table scikit-learn's classification_report prints, with the same rounding (half to even).</summary>
    public string ToText(int digits = 2) => ClassificationReportText.Render(this, digits);

    /// <summary>
    /// The report as JSON ("accuracy", "macro_f1", ..., "per_class"); NaN is written as a named literal.
    /// </summary>
    public string ToJson(bool indented = false) => indented ? JsonSerializer.Serialize(this, Indented) : JsonSerializer.Serialize(this);

    /// <summary>The scikit-learn style table, as <see cref="ToText"/> prints it with 2 digits.</summary>
    public override string ToString() => ToText();

    private static ClassificationReport Create<T>(ReadOnlySpan<T> yTrue, ReadOnlySpan<T> yPred, LabelIndex index, IReadOnlyList<string>? classNames)
        where T : IBinaryInteger<T>
    {
        if (classNames != null && classNames.Count != index.Count)
            throw new ArgumentException($"{classNames.Count} class names for {index.Count} classes", nameof(classNames));
        return FromCounts(ClassCounts.Count(yTrue, yPred, index), classNames, Metrics.Accuracy(yTrue, yPred));
    }

    /// <summary>The report of counts already made (per class, or per entity type for <see cref="EntityReport"/>).</summary>
    internal static ClassificationReport FromCounts(ClassCounts counts, IReadOnlyList<string>? classNames, double accuracy)
    {
        var perClass = counts.PerClass();
        var rows = new ClassScore[counts.Labels.Length];
        long support = 0;
        for (int i = 0; i < rows.Length; i++)
        {
            int label = counts.Labels[i];
            rows[i] = new ClassScore(label, classNames?[i] ?? label.ToString(System.Globalization.CultureInfo.InvariantCulture),
                perClass.Precision[i], perClass.Recall[i], perClass.F1[i], perClass.Support[i]);
            support += perClass.Support[i];
        }
        var macro = counts.Averaged(Average.Macro);
        var micro = counts.Averaged(Average.Micro);
        var weighted = counts.Averaged(Average.Weighted);
        return new ClassificationReport
        {
            Accuracy = accuracy,
            MacroPrecision = macro.Precision, MacroRecall = macro.Recall, MacroF1 = macro.F1,
            MicroPrecision = micro.Precision, MicroRecall = micro.Recall, MicroF1 = micro.F1,
            WeightedPrecision = weighted.Precision, WeightedRecall = weighted.Recall, WeightedF1 = weighted.F1,
            Support = support,
            PerClass = rows,
            MicroIsAccuracy = counts.LabelsAreExactlyThosePresent,
        };
    }
}
