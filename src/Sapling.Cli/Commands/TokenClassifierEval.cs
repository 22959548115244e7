using Sapling.Training.Evaluation;
using Sapling.Inference;
using Sapling.Data.Text;
using Sapling.Training.Plots;

namespace Sapling.Cli.Commands;

/// <summary>
/// A token classifier's scores on tagged sentences (CoNLL text, or JSONL with words and tags): per tag over words
/// (scikit-learn's report and the confusion matrix) and, for B-/I- chunk tags, per entity as seqeval scores them. Words the
/// model's context cuts off are left out, as in training.
/// </summary>
public static class TokenClassifierEval
{
    /// <summary>
    /// Tags every sentence of <paramref name="dataPath"/> and prints the per-tag and, for chunk tags, per-entity
    /// scores; returns the exit code. The field names apply to JSONL. Refuses tags the model does not know.
    /// </summary>
    public static int Run(string modelDirectory, string dataPath, string wordsField, string tagsField, bool json)
    {
        var tagger = TokenTagger.Load(modelDirectory);
        var labels = tagger.Labels;
        var (sentences, skipped) = TaggedWordsReader.Read(dataPath, "auto", wordsField, tagsField);
        if (JsonlReader.Summary(dataPath, skipped) is { } summary) Console.Error.WriteLine("warning: " + summary);
        if (sentences.Count == 0) throw new InvalidDataException($"{dataPath}: no tagged sentences");
        var unknown = sentences.SelectMany(s => s.Tags).Distinct(StringComparer.Ordinal).Where(t => Array.IndexOf(labels, t) < 0).ToList();
        if (unknown.Count > 0) throw new InvalidDataException($"{dataPath}: tags {string.Join(", ", unknown.Take(5))} are not the model's ({string.Join(", ", labels)})");
        var predicted = tagger.Tag(sentences.Select(s => (IReadOnlyList<string>)s.Words).ToArray());
        var truthKept = new List<string[]>();
        var predictedKept = new List<string[]>();
        for (int s = 0; s < sentences.Count; s++)
        {
            var kept = Enumerable.Range(0, predicted[s].Length).Where(w => predicted[s][w] >= 0).ToArray();
            truthKept.Add(kept.Select(w => sentences[s].Tags[w]).ToArray());
            predictedKept.Add(kept.Select(w => labels[predicted[s][w]]).ToArray());
        }
        long[] Ids(List<string[]> tags) => tags.SelectMany(t => t).Select(t => (long)Array.IndexOf(labels, t)).ToArray();
        var truthIds = Ids(truthKept);
        var predictedIds = Ids(predictedKept);
        var words = ClassificationReport.Create<long>(truthIds, predictedIds, labels.Length, labels);
        var entities = EntityReport.IsChunkScheme(labels) ? EntityReport.Create(truthKept, predictedKept) : null;
        if (json)
        {
            Console.WriteLine($"{{\"words\":{words.ToJson()},\"entities\":{entities?.ToJson() ?? "null"}}}");
            return 0;
        }
        Console.WriteLine("Per tag (words):");
        Console.WriteLine(words.ToText(4));
        Console.WriteLine(ConfusionMatrixText.Render(Metrics.ConfusionMatrix<long>(truthIds, predictedIds, labels.Length), labels));
        if (entities != null)
        {
            Console.WriteLine("Per entity (seqeval):");
            Console.WriteLine(entities.ToText(4));
        }
        return 0;
    }
}
