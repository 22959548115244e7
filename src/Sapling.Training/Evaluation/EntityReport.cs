namespace Sapling.Training.Evaluation;

/// <summary>
/// Entity-level scores of sequence labelling, as seqeval (and CoNLL's conlleval) computes them in its default mode: the
/// tags of each sentence (B-X, I-X, E-X, S-X, O) are read as spans of a type, a predicted span counts only when its type,
/// start and end all equal a true one, and precision, recall and F1 are per type with micro, macro and weighted averages.
/// The accuracy is the share of words tagged right.
/// </summary>
public static class EntityReport
{
    /// <summary>Whether tags follow a chunk scheme (every tag is O or a B/I/E/S prefix, a dash and a type), so entity scores mean something.</summary>
    public static bool IsChunkScheme(IEnumerable<string> tags)
    {
        bool any = false;
        foreach (var tag in tags)
        {
            if (tag == "O") continue;
            if (tag.Length < 3 || tag[1] != '-' || tag[0] is not ('B' or 'I' or 'E' or 'S')) return false;
            any = true;
        }
        return any;
    }

    /// <summary>The report over sentences' true and predicted tags; entity types are the rows, in ordinal order.</summary>
    public static ClassificationReport Create(IReadOnlyList<string[]> truth, IReadOnlyList<string[]> predicted)
    {
        if (truth.Count != predicted.Count) throw new ArgumentException($"{truth.Count} true sentences but {predicted.Count} predicted");
        var trueSpans = new HashSet<(int Sentence, string Type, int Start, int End)>();
        var predictedSpans = new HashSet<(int Sentence, string Type, int Start, int End)>();
        long words = 0, right = 0;
        for (int s = 0; s < truth.Count; s++)
        {
            if (truth[s].Length != predicted[s].Length) throw new ArgumentException($"sentence {s}: {truth[s].Length} true tags but {predicted[s].Length} predicted");
            foreach (var (type, start, end) in Spans(truth[s])) trueSpans.Add((s, type, start, end));
            foreach (var (type, start, end) in Spans(predicted[s])) predictedSpans.Add((s, type, start, end));
            for (int i = 0; i < truth[s].Length; i++) right += truth[s][i] == predicted[s][i] ? 1 : 0;
            words += truth[s].Length;
        }
        var types = trueSpans.Select(e => e.Type).Union(predictedSpans.Select(e => e.Type)).Order(StringComparer.Ordinal).ToArray();
        var index = types.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i, StringComparer.Ordinal);
        var tp = new long[types.Length];
        var predictedCount = new long[types.Length];
        var actual = new long[types.Length];
        foreach (var span in trueSpans) actual[index[span.Type]]++;
        foreach (var span in predictedSpans)
        {
            predictedCount[index[span.Type]]++;
            if (trueSpans.Contains(span)) tp[index[span.Type]]++;
        }
        var counts = new ClassCounts
        {
            Labels = Enumerable.Range(0, types.Length).ToArray(), TruePositives = tp, Predicted = predictedCount, Actual = actual,
            LabelsAreExactlyThosePresent = false,
        };
        return ClassificationReport.FromCounts(counts, types, words == 0 ? 0 : (double)right / words);
    }

    /// <summary>The spans (type, first word, last word) of one sentence's tags, by conlleval's chunk rules.</summary>
    public static List<(string Type, int Start, int End)> Spans(IReadOnlyList<string> tags)
    {
        var spans = new List<(string, int, int)>();
        char previousTag = 'O';
        string previousType = "";
        int begin = 0;
        for (int i = 0; i <= tags.Count; i++)
        {
            // A closing "O" ends the last span.
            var (tag, type) = i < tags.Count ? Split(tags[i]) : ('O', "_");
            if (EndsChunk(previousTag, tag, previousType, type)) spans.Add((previousType, begin, i - 1));
            if (StartsChunk(previousTag, tag, previousType, type)) begin = i;
            (previousTag, previousType) = (tag, type);
        }
        return spans;
    }

    /// <summary>"B-PER" → ('B', "PER"); "O" → ('O', "_"), the type seqeval gives a tag without one.</summary>
    private static (char Tag, string Type) Split(string tag)
    {
        if (tag.Length == 0) return ('O', "_");
        var rest = tag[1..];
        int dash = rest.IndexOf('-');
        var type = dash >= 0 ? rest[(dash + 1)..] : rest;
        return (tag[0], type.Length == 0 ? "_" : type);
    }

    private static bool EndsChunk(char previousTag, char tag, string previousType, string type) =>
        previousTag is 'E' or 'S'
        || (previousTag is 'B' or 'I' && tag is 'B' or 'S' or 'O')
        || (previousTag is not ('O' or '.') && previousType != type);

    private static bool StartsChunk(char previousTag, char tag, string previousType, string type) =>
        tag is 'B' or 'S'
        || (previousTag is 'E' or 'S' or 'O' && tag is 'E' or 'I')
        || (tag is not ('O' or '.') && previousType != type);
}
