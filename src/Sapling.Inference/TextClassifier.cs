using Sapling.Autograd;
using Sapling.Models;
using Sapling.Data.Text;

namespace Sapling.Inference;

/// <summary>
/// Runs a sequence classifier (GPT2ForSequenceClassification, BertForSequenceClassification) over texts: each is
/// tokenised as its family reads text, cut to the model's context, right-padded into batches, and scored by the head.
/// </summary>
public sealed class TextClassifier(ISequenceClassifier model, ITokenizer tokenizer)
{
    /// <summary>The sequence classifier; one without a classification head (fewer than 2 labels) is refused.</summary>
    public ISequenceClassifier Model { get; } = model.Labels.Length >= 2 ? model : throw new ArgumentException("the model has no classification head (its config.json has no id2label)");

    /// <summary>The class names, by class id.</summary>
    public string[] Labels => Model.Labels;

    /// <summary>A classifier folder (any family with a sequence-classification head) with its tokenizer.</summary>
    public static TextClassifier Load(string directory)
    {
        var tokenizer = ModelRegistry.RequireTokenizer(directory, "to read the texts with");
        return new TextClassifier(ModelRegistry.LoadSequenceClassifier(directory), tokenizer);
    }

    /// <summary>Token ids of a text as the classifier reads them: at most the context, never empty.</summary>
    public int[] Encode(string text, int? context = null) => Model.Encode(tokenizer, text, Math.Min(context ?? Model.ContextLength, Model.ContextLength));

    /// <summary>The id that pads short rows in a batch, as the model's family chooses it for this tokenizer.</summary>
    public int PadId => Model.PadId(tokenizer);

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
        Model.Network.Eval();
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
