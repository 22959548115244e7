using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Sapling.Inference;

namespace Sapling.Cli.Commands;

/// <summary>
/// <c>sapling search build --model DIR --input FILE --out INDEX</c> embeds every non-empty line of a text file into an
/// index file; <c>sapling search query --index INDEX "text" [--top-k 10] [--json]</c> prints the most similar lines by
/// cosine, found by an exact scan.
/// </summary>
public static class SearchCommand
{
    /// <summary>Builds the <c>sapling search</c> command and its <c>build</c> and <c>query</c> subcommands.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "A BERT folder (e.g. all-MiniLM-L6-v2 imported with `sapling import onnx`)", Required = true };
        var input = new Option<string>("--input") { Description = "Text file: one document per line (empty lines are skipped)", Required = true };
        var output = new Option<string>("--out") { Description = "Index file to write (safetensors: embeddings, texts, the model's path)", Required = true };
        var batch = new Option<int>("--batch-size") { Description = "Texts per forward pass", DefaultValueFactory = _ => 32 };
        var maxLength = new Option<int>("--max-length") { Description = "Tokens kept per text, [CLS] and [SEP] included", DefaultValueFactory = _ => 256 };
        var build = new Command("build", "Embed every line of a text file into an index") { model, input, output, batch, maxLength };
        build.SetAction(r => Build(r.GetValue(model)!, r.GetValue(input)!, r.GetValue(output)!, r.GetValue(batch), r.GetValue(maxLength)));

        var index = new Option<string>("--index") { Description = "An index written by `sapling search build`", Required = true };
        var queries = new Argument<string[]>("queries") { Description = "One or more query texts", Arity = ArgumentArity.OneOrMore };
        var topK = new Option<int>("--top-k") { Description = "Results per query", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "One JSON object per query: {query, results: [{index, score, text}]}" };
        var modelOverride = new Option<string?>("--model") { Description = "Embed queries with this folder instead of the one the index names (it must be the same encoder)" };
        var query = new Command("query", "The lines of an index most similar to each query (cosine, exact scan)") { index, queries, topK, json, modelOverride };
        query.SetAction(r => Query(r.GetValue(index)!, r.GetValue(queries)!, r.GetValue(topK), r.GetValue(json), r.GetValue(modelOverride)));
        return new Command("search", "Semantic search: an index of sentence embeddings and top-k queries against it") { build, query };
    }

    private static int Build(string modelDirectory, string inputPath, string outputPath, int batchSize, int maxLength)
    {
        if (!File.Exists(inputPath)) throw new FileNotFoundException($"input file '{inputPath}' does not exist", inputPath);
        var embedder = SentenceEmbedder.Load(modelDirectory, maxLength);
        string[] lines;
        try
        {
            lines = File.ReadAllLines(inputPath, new UTF8Encoding(false, throwOnInvalidBytes: true)).Where(l => l.Trim().Length > 0).ToArray();
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{inputPath}: not valid UTF-8 text ({e.Message})", e);
        }
        if (lines.Length == 0) throw new InvalidDataException($"{inputPath}: no non-empty lines to index");
        var watch = Stopwatch.StartNew();
        var last = TimeSpan.Zero;
        var vectors = embedder.Embed(lines, batchSize, progress: done =>
        {
            if (watch.Elapsed - last < TimeSpan.FromSeconds(2) && done < lines.Length) return;
            last = watch.Elapsed;
            double rate = done / Math.Max(1e-9, watch.Elapsed.TotalSeconds);
            Console.Error.WriteLine($"embedded {done:N0}/{lines.Length:N0} texts  {rate:F1} texts/s  ETA {TimeSpan.FromSeconds((lines.Length - done) / Math.Max(rate, 1e-9)):hh\\:mm\\:ss}");
        });
        new EmbeddingIndex(vectors, lines, Path.GetFullPath(modelDirectory), "mean", embedder.MaxLength).Save(outputPath);
        Console.Error.WriteLine($"indexed {lines.Length:N0} texts ({embedder.Dimensions} dimensions) in {outputPath} in {watch.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    private static int Query(string indexPath, string[] queries, int topK, bool json, string? modelOverride)
    {
        if (topK < 1) throw new ArgumentException($"--top-k must be at least 1, got {topK}");
        var index = EmbeddingIndex.Load(indexPath);
        var modelDirectory = modelOverride ?? index.Model;
        if (!Directory.Exists(modelDirectory))
            throw new DirectoryNotFoundException($"{indexPath} was built with the encoder in '{index.Model}', which is not there; name the same encoder with --model");
        var embedder = SentenceEmbedder.Load(modelDirectory, index.MaxLength);
        if (embedder.Dimensions != index.Dimensions)
            throw new InvalidDataException($"'{modelDirectory}' gives {embedder.Dimensions}-dimensional embeddings, the index holds {index.Dimensions}: not the encoder it was built with");
        var vectors = embedder.Embed(queries);
        for (int q = 0; q < queries.Length; q++)
        {
            var hits = index.Search(vectors[q], topK);
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    query = queries[q],
                    results = hits.Select(h => new { index = h.Index, score = h.Score, text = index.Text(h.Index) }),
                }));
                continue;
            }
            Console.WriteLine($"query: {queries[q]}");
            for (int r = 0; r < hits.Length; r++)
                Console.WriteLine($"  {r + 1,3}. {hits[r].Score:F4}  [{hits[r].Index}] {Shorten(index.Text(hits[r].Index), 100)}");
        }
        return 0;
    }

    private static string Shorten(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";
}
