using System.Numerics.Tensors;
using System.Text;
using Sapling.IO;

namespace Sapling.Inference;

/// <summary>
/// Texts with their unit-length embeddings, searched exactly: the query's vector against every row with SIMD dot
/// products (cosine, since all vectors are normalised), the k best kept in a small heap. Saved as one safetensors file:
/// "embeddings" float32 [N, D], the texts as UTF-8 bytes ("texts", int8) cut at "text_offsets" (int64 [N + 1]), and the
/// encoder folder, pooling and length in the metadata so queries are embedded the same way.
/// </summary>
public sealed class EmbeddingIndex
{
    private readonly float[] vectors;
    private readonly string[] texts;

    /// <summary>
    /// Creates an index of <paramref name="texts"/> with their <paramref name="embeddings"/> (copied; expected to be
    /// unit length, which is not checked). <paramref name="model"/>, <paramref name="pooling"/> and
    /// <paramref name="maxLength"/> record how the embeddings were made, so queries can be embedded the same way.
    /// Refuses no texts, a count mismatch and rows of different widths.
    /// </summary>
    public EmbeddingIndex(float[][] embeddings, string[] texts, string model, string pooling, int maxLength)
    {
        if (embeddings.Length != texts.Length) throw new ArgumentException($"{embeddings.Length} embeddings for {texts.Length} texts");
        if (embeddings.Length == 0) throw new ArgumentException("an index needs at least one text");
        Dimensions = embeddings[0].Length;
        vectors = new float[(long)embeddings.Length * Dimensions];
        for (int i = 0; i < embeddings.Length; i++)
        {
            if (embeddings[i].Length != Dimensions) throw new ArgumentException($"embedding {i} has {embeddings[i].Length} values, the first {Dimensions}");
            embeddings[i].CopyTo(vectors.AsSpan(i * Dimensions, Dimensions));
        }
        this.texts = texts;
        (Model, Pooling, MaxLength) = (model, pooling, maxLength);
    }

    /// <summary>The number of texts.</summary>
    public int Count => texts.Length;
    /// <summary>The width of each embedding.</summary>
    public int Dimensions { get; }

    /// <summary>The encoder folder the embeddings came from (queries must use the same one).</summary>
    public string Model { get; }
    /// <summary>How token states were pooled into each embedding ("mean" for indexes Sapling builds).</summary>
    public string Pooling { get; }
    /// <summary>
    /// Tokens kept per text when embedding, [CLS] and [SEP] included; queries should be cut the same way.
    /// </summary>
    public int MaxLength { get; }

    /// <summary>The text of row <paramref name="i"/>.</summary>
    public string Text(int i) => texts[i];

    /// <summary>The embedding of row <paramref name="i"/>, a view of the index's storage.</summary>
    public ReadOnlySpan<float> Vector(int i) => vectors.AsSpan(i * Dimensions, Dimensions);

    /// <summary>The <paramref name="k"/> rows most similar to <paramref name="query"/> (a unit vector), best first.</summary>
    public (int Index, float Score)[] Search(ReadOnlySpan<float> query, int k)
    {
        if (query.Length != Dimensions) throw new ArgumentException($"the query has {query.Length} values, the index {Dimensions}");
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "top-k must be at least 1");
        k = Math.Min(k, Count);
        // A min-heap of the k best so far: its root is the score a new row must beat.
        var heap = new PriorityQueue<int, float>(k + 1);
        for (int i = 0; i < Count; i++)
        {
            float score = TensorPrimitives.Dot(query, vectors.AsSpan(i * Dimensions, Dimensions));
            if (heap.Count < k) heap.Enqueue(i, score);
            else if (heap.TryPeek(out _, out float worst) && score > worst) heap.EnqueueDequeue(i, score);
        }
        var result = new (int, float)[heap.Count];
        for (int r = result.Length - 1; r >= 0; r--)
        {
            heap.TryDequeue(out int index, out float score);
            result[r] = (index, score);
        }
        return result;
    }

    /// <summary>
    /// Writes the index to one safetensors file at <paramref name="path"/>, in the layout <see cref="Load"/> reads.
    /// </summary>
    public void Save(string path)
    {
        var bytes = new List<byte>();
        var offsets = new long[Count + 1];
        for (int i = 0; i < Count; i++)
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(texts[i]));
            offsets[i + 1] = bytes.Count;
        }
        var textBytes = new sbyte[bytes.Count];
        for (int i = 0; i < textBytes.Length; i++) textBytes[i] = unchecked((sbyte)bytes[i]);
        var tensors = new Dictionary<string, Tensor>
        {
            ["embeddings"] = Tensor.FromArray(vectors, Count, Dimensions),
            ["texts"] = Tensor.FromSpan<sbyte>(textBytes, textBytes.Length),
            ["text_offsets"] = Tensor.FromArray(offsets, offsets.Length),
        };
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "sapling-embedding-index", ["model"] = Model, ["pooling"] = Pooling,
            ["max_length"] = MaxLength.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        SafeTensors.Save(path, tensors, metadata);
    }

    /// <summary>Reads an index written by <see cref="Save"/>; a file that is not one is refused naming what is wrong.</summary>
    public static EmbeddingIndex Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"index file '{path}' does not exist", path);
        IReadOnlyDictionary<string, string> metadata;
        using (var file = SafeTensorsFile.Open(path)) metadata = file.Metadata;
        if (!metadata.TryGetValue("format", out var format) || format != "sapling-embedding-index")
            throw new InvalidDataException($"{path}: not an embedding index (its metadata has no format \"sapling-embedding-index\"; build one with `sapling search build`)");
        var all = SafeTensors.LoadAll(path);
        foreach (var name in new[] { "embeddings", "texts", "text_offsets" })
            if (!all.ContainsKey(name)) throw new InvalidDataException($"{path}: the index has no \"{name}\" tensor");
        var embeddings = all["embeddings"];
        if (embeddings.Rank != 2 || embeddings.DType != DType.Float32) throw new InvalidDataException($"{path}: \"embeddings\" must be float32 [count, dimensions]");
        int n = embeddings.Shape[0], d = embeddings.Shape[1];
        var offsets = all["text_offsets"].ToArray<long>();
        var raw = all["texts"].ToArray<sbyte>();
        if (offsets.Length != n + 1 || offsets[0] != 0 || offsets[^1] != raw.Length)
            throw new InvalidDataException($"{path}: \"text_offsets\" must hold {n + 1} offsets from 0 to the {raw.Length} text bytes");
        var bytes = new byte[raw.Length];
        Buffer.BlockCopy(raw, 0, bytes, 0, raw.Length);
        var texts = new string[n];
        for (int i = 0; i < n; i++)
        {
            if (offsets[i + 1] < offsets[i]) throw new InvalidDataException($"{path}: \"text_offsets\" decreases at entry {i}");
            texts[i] = Encoding.UTF8.GetString(bytes, (int)offsets[i], (int)(offsets[i + 1] - offsets[i]));
        }
        var flat = embeddings.Contiguous().ToArray<float>();
        var rows = new float[n][];
        for (int i = 0; i < n; i++) rows[i] = flat.AsSpan(i * d, d).ToArray();
        int maxLength = int.TryParse(metadata.GetValueOrDefault("max_length"), out var m) ? m : 256;
        return new EmbeddingIndex(rows, texts, metadata.GetValueOrDefault("model") ?? "", metadata.GetValueOrDefault("pooling") ?? "mean", maxLength);
    }
}
