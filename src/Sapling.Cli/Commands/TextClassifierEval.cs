using Sapling.Inference;
using Sapling.Data.Text;

namespace Sapling.Cli.Commands;

/// <summary>
/// Precision, recall, F1 and the confusion matrix of a sequence classifier (GPT or BERT) on a labelled JSONL file (rows that
/// lack the text or the label are skipped and reported with their line numbers).
/// </summary>
public static class TextClassifierEval
{
    /// <summary>
    /// Classifies the text in <paramref name="field"/> of every row and prints the scores against the label in
    /// <paramref name="labelField"/>; returns the exit code. <paramref name="stripHeaders"/> removes e-mail headers
    /// from the text first. Refuses a label the model does not know, and a file with no usable rows.
    /// </summary>
    public static int Run(string modelDirectory, string dataPath, string field, string labelField, bool stripHeaders, bool json)
    {
        var classifier = TextClassifier.Load(modelDirectory);
        var labels = classifier.Labels;
        var (rows, skipped) = JsonlReader.Read(dataPath, row =>
        {
            var text = JsonlReader.RequiredString(row, field);
            var label = JsonlReader.RequiredString(row, labelField);
            int id = Array.IndexOf(labels, label);
            if (id < 0) throw new InvalidDataException($"label \"{label}\" is not one of the model's ({string.Join(", ", labels)})");
            return (Ids: classifier.Encode(stripHeaders ? EmailText.StripHeaders(text) : text), Label: (long)id);
        });
        if (JsonlReader.Summary(dataPath, skipped) is { } summary) Console.Error.WriteLine("warning: " + summary);
        if (rows.Count == 0) throw new InvalidDataException($"{dataPath}: no usable rows");
        var probabilities = classifier.Probabilities(rows.Select(r => r.Ids).ToList());
        var predicted = probabilities.Select(p => (long)Array.IndexOf(p, p.Max())).ToArray();
        var truth = rows.Select(r => r.Label).ToArray();
        return ClassificationOutput.Print(truth, predicted, labels, json);
    }
}
