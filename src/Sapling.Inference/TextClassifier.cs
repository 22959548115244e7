using Sapling.Autograd;
using Sapling.Models.Gpt;
using Sapling.Text;

namespace Sapling.Inference;

/// <summary>
/// Runs a GPT sequence classifier (GPT2ForSequenceClassification) over texts: each is tokenised, cut to the model's
/// context, right-padded into batches, and scored by the head with the pooling its config names.
/// </summary>
public sealed class TextClassifier(GptModel model, ITokenizer tokenizer)
{
    public GptModel Model { get; } = model.Score != null ? model : throw new ArgumentException("the model has no classification head (its config is not GPT2ForSequenceClassification)");

    public string[] Labels => Model.Config.Labels;

    /// <summary>Token ids of a text as the classifier reads them: at most the context, never empty.</summary>
    public int[] Encode(string text, int? context = null)
    {
        var ids = tokenizer.Encode(text);
        int limit = Math.Min(context ?? Model.Config.NPositions, Model.Config.NPositions);
        return ids.Length == 0 ? [PadId] : ids[..Math.Min(ids.Length, limit)];
    }

    public int PadId => Model.Config.PadTokenId ?? tokenizer.EndOfTextId;

    /// <summary>Right-padded ids [n, length] and each row's real length.</summary>
    public static (Tensor Ids, int[] Lengths) Pad(IReadOnlyList<int[]> sequences, int padId, int length)
    {
        int n = sequences.Count;
        var ids = new long[n * length];
        Array.Fill(ids, padId);
        var lengths = new int[n];
        for (int b = 0; b < n; b++)
        {
            int used = Math.Min(length, sequences[b].Length);
            for (int t = 0; t < used; t++) ids[b * length + t] = sequences[b][t];
            lengths[b] = used;
        }
        return (Tensor.FromArray(ids, n, length), lengths);
    }

    /// <summary>Class probabilities [texts][labels] for already encoded texts, in batches.</summary>
    public float[][] Probabilities(IReadOnlyList<int[]> encoded, int batchSize = 32)
    {
        Model.Eval();
        using var _ = NoGrad.Enter();
        var result = new List<float[]>(encoded.Count);
        int labels = Labels.Length;
        for (int start = 0; start < encoded.Count; start += batchSize)
        {
            using var scope = new TensorScope();
            int count = Math.Min(batchSize, encoded.Count - start);
            var chunk = new int[count][];
            for (int i = 0; i < count; i++) chunk[i] = encoded[start + i];
            var (ids, lengths) = Pad(chunk, PadId, chunk.Max(s => s.Length));
            var p = Model.Classify(ids, lengths).Softmax(-1).ToArray();
            for (int i = 0; i < count; i++) result.Add(p.AsSpan(i * labels, labels).ToArray());
        }
        return result.ToArray();
    }
}
