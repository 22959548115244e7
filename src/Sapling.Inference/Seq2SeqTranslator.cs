using Sapling.Models;
using Sapling.Data.Text;

namespace Sapling.Inference;

/// <summary>
/// Text in, text out with an encoder-decoder and its tokenizer (translation, or any text-to-text task): each source is
/// tokenised with eos last (the tokenizer's post-processor adds it for published folders; Sapling's own tokenizers get it
/// appended), sources are generated in batches of similar length, and each target is decoded without its special tokens.
/// </summary>
public sealed class Seq2SeqTranslator(ISeq2SeqLM model, ITokenizer tokenizer)
{
    /// <summary>The encoder-decoder that writes the targets.</summary>
    public ISeq2SeqLM Model { get; } = model;
    /// <summary>The tokenizer that encodes sources and decodes targets.</summary>
    public ITokenizer Tokenizer { get; } = tokenizer;

    /// <summary>The source's ids as the encoder reads them: eos last, cut to the model's source positions (eos kept).</summary>
    public int[] EncodeSource(string text)
    {
        var ids = Tokenizer.Encode(text, addSpecialTokens: true);
        if (ids.Length == 0 || ids[^1] != Model.EosTokenId) ids = [.. ids, Model.EosTokenId];
        if (Model.MaxSourceLength is int limit && ids.Length > limit) ids = [.. ids[..(limit - 1)], Model.EosTokenId];
        return ids;
    }

    /// <summary>
    /// Translations of <paramref name="sources"/> in order. Sources are sorted by length into batches of
    /// <paramref name="batchSize"/> (less padding); <paramref name="onBatch"/> hears how many are done after each batch.
    /// </summary>
    public string[] Translate(IReadOnlyList<string> sources, Seq2SeqGenerationOptions options, int batchSize = 16, Action<int>? onBatch = null, CancellationToken cancellation = default) =>
        Array.ConvertAll(TranslateWithCounts(sources, options, batchSize, onBatch, cancellation), t => t.Text);

    /// <summary><see cref="Translate"/> with the tokens each source took and each translation generated (eos included).</summary>
    public Translation[] TranslateWithCounts(IReadOnlyList<string> sources, Seq2SeqGenerationOptions options, int batchSize = 16, Action<int>? onBatch = null, CancellationToken cancellation = default)
    {
        var encoded = new int[sources.Count][];
        for (int i = 0; i < sources.Count; i++) encoded[i] = EncodeSource(sources[i]);
        return TranslateIds(encoded, options, batchSize, onBatch, cancellation);
    }

    /// <summary><see cref="TranslateWithCounts"/> for sources already tokenised as the encoder reads them (eos last).</summary>
    public Translation[] TranslateIds(IReadOnlyList<int[]> encoded, Seq2SeqGenerationOptions options, int batchSize = 16, Action<int>? onBatch = null, CancellationToken cancellation = default)
    {
        if (batchSize < 1) throw new ArgumentException($"batch size {batchSize} must be positive");
        var order = Enumerable.Range(0, encoded.Count).OrderBy(i => encoded[i].Length).ToArray();
        var outputs = new Translation[encoded.Count];
        int done = 0;
        foreach (var chunk in order.Chunk(batchSize))
        {
            var targets = Seq2SeqGenerator.Generate(Model, chunk.Select(i => (IReadOnlyList<int>)encoded[i]).ToArray(), options, cancellation);
            for (int j = 0; j < chunk.Length; j++)
            {
                var text = Tokenizer.Decode(WithoutSpecials(targets[j].Tokens, Model.EosTokenId, Model.PadTokenId), skipSpecial: true);
                outputs[chunk[j]] = new Translation(text, encoded[chunk[j]].Length, targets[j].Tokens.Length);
            }
            done += chunk.Length;
            onBatch?.Invoke(done);
        }
        return outputs;
    }

    /// <summary>A generated target without its trailing eos and padding.</summary>
    public static int[] WithoutSpecials(int[] tokens, int eosTokenId, int padTokenId)
    {
        int n = tokens.Length;
        while (n > 0 && (tokens[n - 1] == eosTokenId || tokens[n - 1] == padTokenId)) n--;
        return tokens[..n];
    }
}
