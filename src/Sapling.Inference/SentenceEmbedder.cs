using Sapling.Autograd;
using Sapling.Models;
using Sapling.Data.Text;

namespace Sapling.Inference;

/// <summary>
/// Sentence embeddings from a BERT, RoBERTa or DistilBERT folder as sentence-transformers computes them: the text's WordPiece tokens with
/// [CLS]/[SEP], the last hidden states averaged over the real tokens (mean pooling, or the [CLS] state), then scaled to
/// unit length. Texts are batched in order of length so a batch carries little padding; results come back in input order.
/// </summary>
public sealed class SentenceEmbedder
{
    /// <summary>
    /// Creates an embedder over <paramref name="model"/> and <paramref name="tokenizer"/>; <paramref name="maxLength"/>
    /// is <see cref="MaxLength"/> and must be between 2 and the model's positions.
    /// </summary>
    public SentenceEmbedder(ITextEncoder model, ITokenizer tokenizer, int maxLength = 256)
    {
        if (maxLength < 2 || maxLength > model.MaxTokens)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, $"max length must be between 2 and the model's {model.MaxTokens} positions");
        (Model, Tokenizer, MaxLength) = (model, tokenizer, maxLength);
    }

    /// <summary>The encoder whose last hidden states are pooled.</summary>
    public ITextEncoder Model { get; }
    /// <summary>The tokenizer the texts are read with.</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>Tokens kept per text, [CLS] and [SEP] included; longer texts are cut (sentence-transformers' max_seq_length).</summary>
    public int MaxLength { get; }

    /// <summary>Width of each embedding.</summary>
    public int Dimensions => Model.HiddenSize;

    /// <summary>A BERT folder with its tokenizer (tokenizer.json, or vocab.txt).</summary>
    public static SentenceEmbedder Load(string directory, int maxLength = 256)
    {
        var model = ModelRegistry.LoadTextEncoder(directory);
        var tokenizer = ModelRegistry.RequireTokenizer(directory, "for its text");
        return new SentenceEmbedder(model, tokenizer, Math.Min(maxLength, model.MaxTokens));
    }

    /// <summary>One unit-length (with <paramref name="normalize"/>) vector per text, in order; <paramref name="progress"/> gets texts done.</summary>
    public float[][] Embed(IReadOnlyList<string> texts, int batchSize = 32, bool meanPooling = true, bool normalize = true, Action<int>? progress = null) =>
        Embed(Encode(texts), batchSize, meanPooling, normalize, progress);

    /// <summary>Each text's ids as the model reads them: [CLS] … [SEP], cut to <see cref="MaxLength"/> keeping the
    /// closing [SEP], as the Hugging Face tokenizer's truncation does.</summary>
    public int[][] Encode(IReadOnlyList<string> texts)
    {
        var ids = new int[texts.Count][];
        for (int i = 0; i < texts.Count; i++)
        {
            // A text without tokens (and a tokenizer without special tokens) reads as one padding token (id 0).
            ids[i] = EncoderInput.Encode(Tokenizer, texts[i] ?? throw new ArgumentException($"text {i} is null"), MaxLength, padId: 0);
        }
        return ids;
    }

    /// <summary>Embeddings of texts already encoded by <see cref="Encode"/>, in their order.</summary>
    public float[][] Embed(int[][] ids, int batchSize = 32, bool meanPooling = true, bool normalize = true, Action<int>? progress = null)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be positive");
        var order = Enumerable.Range(0, ids.Length).OrderBy(i => ids[i].Length).ToArray();
        var result = new float[ids.Length][];
        int done = 0;
        // Attention holds b·t² scores per head, so a batch of long texts is cut shorter: it never holds more scores than
        // batchSize texts of 128 tokens would. Texts come shortest first, so the last one taken sets the batch's length.
        long scoreBudget = (long)batchSize * 128 * 128;
        for (int start = 0, b; start < order.Length; start += b)
        {
            b = 0;
            int t = 0;
            while (start + b < order.Length && b < batchSize)
            {
                int next = Math.Max(t, ids[order[start + b]].Length);
                if (b > 0 && (long)(b + 1) * next * next > scoreBudget) break;
                (t, b) = (next, b + 1);
            }
            var tokens = new long[b * t];
            var mask = new long[b * t];
            for (int j = 0; j < b; j++)
            {
                var row = ids[order[start + j]];
                for (int k = 0; k < row.Length; k++) (tokens[j * t + k], mask[j * t + k]) = (row[k], 1);
            }
            using var scope = new TensorScope();
            using var _ = NoGrad.Enter();
            var maskTensor = Tensor.FromArray(mask, b, t);
            var hidden = Model.Encode(Tensor.FromArray(tokens, b, t), maskTensor);                  // [b, t, H]
            Tensor pooled;
            if (meanPooling)
            {
                var weights = maskTensor.To(DType.Float32).Unsqueeze(-1);                           // [b, t, 1]
                pooled = hidden.Mul(weights).Sum(1).Div(weights.Sum(1).Maximum(1e-9));              // [b, H]
            }
            else
            {
                pooled = hidden.Select(1, 0);                                                        // [b, H]
            }
            if (normalize) pooled = pooled.Div(pooled.Square().Sum(-1, keepDim: true).Sqrt().Maximum(1e-12));
            var values = pooled.Contiguous().ToArray<float>();
            int h = Dimensions;
            for (int j = 0; j < b; j++) result[order[start + j]] = values.AsSpan(j * h, h).ToArray();
            done += b;
            progress?.Invoke(done);
        }
        return result;
    }
}
