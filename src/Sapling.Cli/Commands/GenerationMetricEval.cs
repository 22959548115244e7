using System.Globalization;
using System.Text.Json;
using static System.FormattableString;
using Sapling.Training.Evaluation;

namespace Sapling.Cli.Commands;

/// <summary>
/// <c>sapling eval --metric bleu|chrf|rouge-l|exact-match --hypotheses FILE --references FILE [--references FILE2...]</c>:
/// scores line-aligned text files, no model involved. Line i of every references file is a reference of line i of
/// the hypotheses file, so the files must have the same number of lines.
/// </summary>
public static class GenerationMetricEval
{
    /// <summary>The text metrics this class scores, as <c>--metric</c> names them.</summary>
    public static readonly string[] Metrics = ["bleu", "chrf", "rouge-l", "exact-match"];

    /// <summary>
    /// Scores the hypotheses file against the reference files with <paramref name="metric"/> and prints the score, as
    /// text or JSON; returns the exit code. <paramref name="tokenize"/> applies to BLEU and ROUGE-L,
    /// <paramref name="smoothing"/> to BLEU and <paramref name="normalize"/> to exact match. Refuses missing, empty or
    /// unequal-length files.
    /// </summary>
    public static int Run(string metric, string? hypothesesPath, string[] referencePaths, string tokenize, string smoothing, string normalize, bool json)
    {
        if (hypothesesPath == null)
            throw new ArgumentException($"--metric {metric} needs --hypotheses FILE (one generated line per example)");
        if (referencePaths.Length == 0)
            throw new ArgumentException($"--metric {metric} needs --references FILE (one reference line per example; repeat it for several references)");
        var hypotheses = ReadLines(hypothesesPath, "hypotheses");
        var referenceFiles = referencePaths.Select(p => ReadLines(p, "references")).ToArray();
        for (int f = 0; f < referenceFiles.Length; f++)
            if (referenceFiles[f].Length != hypotheses.Length)
                throw new InvalidDataException($"references file {referencePaths[f]} has {referenceFiles[f].Length} lines but hypotheses file {hypothesesPath} has {hypotheses.Length}: line i of each must belong to example i");
        var references = Enumerable.Range(0, hypotheses.Length)
            .Select(i => (IReadOnlyList<string>)referenceFiles.Select(file => file[i]).ToArray())
            .ToArray();
        var mode = GenerationTokenizer.ParseMode(tokenize);
        var result = new Dictionary<string, object> { ["metric"] = metric, ["lines"] = hypotheses.Length, ["references_per_line"] = referenceFiles.Length };
        string text;
        switch (metric)
        {
            case "bleu":
            {
                var method = ParseSmoothing(smoothing);
                var score = Bleu.Corpus(references, hypotheses, mode, new BleuOptions { Smoothing = method });
                result["score"] = score.Score;
                result["tokenize"] = tokenize;
                result["smoothing"] = $"method{(int)method}";
                result["brevity_penalty"] = score.BrevityPenalty;
                result["precisions"] = score.Precisions;
                result["hypothesis_length"] = score.HypothesisLength;
                result["reference_length"] = score.ReferenceLength;
                text = Invariant($"BLEU {100 * score.Score:F2} ({score.Score:F6}); n-gram precisions {string.Join("/", score.Precisions.Select(p => (100 * p).ToString("F1", CultureInfo.InvariantCulture)))}, ") +
                       Invariant($"brevity penalty {score.BrevityPenalty:F4}, length ratio {score.LengthRatio:F3} ({score.HypothesisLength} hypothesis / {score.ReferenceLength} reference tokens); ") +
                       $"tokenize {tokenize}, smoothing method{(int)method}";
                break;
            }
            case "chrf":
            {
                double score = ChrF.Corpus(references, hypotheses);
                result["score"] = score;
                result["beta"] = 2.0;
                text = Invariant($"chrF2 {100 * score:F2} ({score:F6}); character 1..6-grams, white space ignored, NLTK's corpus_chrf definition (mean of line scores)");
                break;
            }
            case "rouge-l":
            {
                var tokenized = Tokenize(references, hypotheses, mode);
                var score = RougeL.Corpus(tokenized.References, tokenized.Hypotheses);
                result["score"] = score.F;
                result["precision"] = score.Precision;
                result["recall"] = score.Recall;
                result["tokenize"] = tokenize;
                text = Invariant($"ROUGE-L F1 {100 * score.F:F2} ({score.F:F6}); precision {score.Precision:F4}, recall {score.Recall:F4}; tokenize {tokenize}");
                break;
            }
            case "exact-match":
            {
                var normalization = ExactMatch.ParseNormalization(normalize);
                double score = ExactMatch.Corpus(references, hypotheses, normalization);
                result["score"] = score;
                result["normalize"] = normalization.ToString();
                text = Invariant($"exact match {100 * score:F2}% ({Math.Round(score * hypotheses.Length)} of {hypotheses.Length}); normalisation {normalization}");
                break;
            }
            default:
                throw new ArgumentException(UnknownMetric(metric));
        }
        Console.WriteLine(json ? JsonSerializer.Serialize(result, Training.Runs.JsonNumbers.Options) : $"{text}; {hypotheses.Length} lines, {referenceFiles.Length} reference(s) each");
        return 0;
    }

    /// <summary>The error message for an unknown <c>--metric</c>, listing the ones that exist.</summary>
    public static string UnknownMetric(string metric) =>
        $"unknown metric '{metric}': use {string.Join(", ", Metrics)} (text files) or perplexity (with --model and --data)";

    private static string[] ReadLines(string path, string role)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{role} file not found: {path}", path);
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0) throw new InvalidDataException($"{role} file {path} is empty: it needs one line per example");
        return lines;
    }

    private static BleuSmoothing ParseSmoothing(string name) => name.ToLowerInvariant() switch
    {
        "none" or "method0" => BleuSmoothing.None,
        "epsilon" or "method1" => BleuSmoothing.Epsilon,
        "add-one" or "method2" => BleuSmoothing.AddOne,
        "nist" or "method3" => BleuSmoothing.Nist,
        "chen-cherry4" or "method4" => BleuSmoothing.ChenCherry4,
        _ => throw new ArgumentException($"unknown BLEU smoothing '{name}': use none, epsilon, add-one, nist, chen-cherry4 (or NLTK's method0..method4)"),
    };

    private static (IReadOnlyList<IReadOnlyList<IReadOnlyList<string>>> References, IReadOnlyList<IReadOnlyList<string>> Hypotheses) Tokenize(
        IReadOnlyList<IReadOnlyList<string>> references, IReadOnlyList<string> hypotheses, TokenizeMode mode) =>
        (references.Select(refs => (IReadOnlyList<IReadOnlyList<string>>)refs.Select(r => GenerationTokenizer.Tokenize(r, mode)).ToArray()).ToArray(),
         hypotheses.Select(h => (IReadOnlyList<string>)GenerationTokenizer.Tokenize(h, mode)).ToArray());
}
