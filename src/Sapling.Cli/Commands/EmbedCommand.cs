using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Sapling.Inference;

namespace Sapling.Cli.Commands;

/// <summary><c>sapling embed --model DIR --input FILE --out FILE.jsonl</c>: one sentence embedding per input line, in order.</summary>
public static class EmbedCommand
{
    /// <summary>Builds the <c>sapling embed</c> command with its options and action.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "A BERT folder (config.json, model.safetensors, tokenizer.json or vocab.txt), e.g. imported with `sapling import onnx`", Required = true };
        var input = new Option<string>("--input") { Description = "Text file: one text per line", Required = true };
        var output = new Option<string?>("--out") { Description = "JSONL file to write, one {\"embedding\": [...]} per input line (default: standard output)" };
        var batch = new Option<int>("--batch-size") { Description = "Texts per forward pass", DefaultValueFactory = _ => 32 };
        var maxLength = new Option<int>("--max-length") { Description = "Tokens kept per text, [CLS] and [SEP] included", DefaultValueFactory = _ => 256 };
        var pooling = new Option<string>("--pooling") { Description = "mean (sentence-transformers' mean of the real tokens' states) or cls", DefaultValueFactory = _ => "mean" };
        var noNormalize = new Option<bool>("--no-normalize") { Description = "Keep the pooled vector's length (by default it is scaled to 1, so a dot product is the cosine)" };
        var cmd = new Command("embed", "Sentence embeddings from a BERT encoder: mean pooling and L2 normalisation as sentence-transformers computes them") { model, input, output, batch, maxLength, pooling, noNormalize };
        cmd.SetAction(r => Run(r.GetValue(model)!, r.GetValue(input)!, r.GetValue(output), r.GetValue(batch), r.GetValue(maxLength), r.GetValue(pooling)!, !r.GetValue(noNormalize)));
        return cmd;
    }

    private static int Run(string modelDirectory, string inputPath, string? outputPath, int batchSize, int maxLength, string pooling, bool normalize)
    {
        if (pooling is not ("mean" or "cls")) throw new ArgumentException($"--pooling must be mean or cls, got '{pooling}'");
        if (batchSize < 1) throw new ArgumentException($"--batch-size must be positive, got {batchSize}");
        if (!File.Exists(inputPath)) throw new FileNotFoundException($"input file '{inputPath}' does not exist", inputPath);
        var embedder = SentenceEmbedder.Load(modelDirectory, maxLength);
        long total = CountLines(inputPath);
        var watch = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        long done = 0;
        // Chunks of lines are embedded and written in turn, so memory holds one chunk whatever the file's size.
        void Write(Stream stream)
        {
            foreach (var chunk in ReadLines(inputPath).Chunk(ChunkLines))
            {
                var vectors = embedder.Embed(chunk, batchSize, pooling == "mean", normalize);
                WriteLines(stream, vectors);
                // Each chunk's batch shapes differ (texts are grouped by length); the tensor pool would keep a buffer of
                // every size it has seen, up to a sixth of the machine's memory. Dropping them per chunk, and collecting
                // them at once rather than when the garbage collector's budget fills (over 1 GB here), keeps the process
                // at one chunk's working set; a collection per 1,024 texts costs nothing measurable.
                Memory.TensorMemory.TrimPools();
                GC.Collect();
                done += chunk.Length;
                if (watch.Elapsed - lastReport < TimeSpan.FromSeconds(2) && done < total) continue;
                lastReport = watch.Elapsed;
                double rate = done / Math.Max(1e-9, watch.Elapsed.TotalSeconds);
                Console.Error.WriteLine($"embedded {done:N0}/{total:N0} texts  {rate:F1} texts/s  ETA {TimeSpan.FromSeconds((total - done) / Math.Max(rate, 1e-9)):hh\\:mm\\:ss}");
            }
        }
        if (outputPath != null) IO.AtomicFile.Write(outputPath, Write);
        else
        {
            using var stdout = Console.OpenStandardOutput();
            Write(stdout);
        }
        if (outputPath != null) Console.Error.WriteLine($"wrote {done:N0} embeddings of {embedder.Dimensions} values to {outputPath} in {watch.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    /// <summary>Lines embedded at a time: enough for length-sorted batches to carry little padding.</summary>
    private const int ChunkLines = 1024;

    private static long CountLines(string path)
    {
        long count = 0;
        foreach (var _ in ReadLines(path)) count++;
        return count;
    }

    /// <summary>The file's lines, refused as a whole if it is not UTF-8.</summary>
    private static IEnumerable<string> ReadLines(string path)
    {
        using var reader = new StreamReader(path, new UTF8Encoding(false, throwOnInvalidBytes: true));
        while (true)
        {
            string? line;
            try
            {
                line = reader.ReadLine();
            }
            catch (DecoderFallbackException e)
            {
                throw new InvalidDataException($"{path}: not valid UTF-8 text ({e.Message})", e);
            }
            if (line == null) yield break;
            yield return line;
        }
    }

    /// <summary>One {"embedding": [...]} object per line.</summary>
    private static void WriteLines(Stream stream, float[][] vectors)
    {
        var newline = "\n"u8.ToArray();
        foreach (var vector in vectors)
        {
            using (var w = new Utf8JsonWriter(stream))
            {
                w.WriteStartObject();
                w.WriteStartArray("embedding");
                foreach (var v in vector) w.WriteNumberValue(v);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            stream.Write(newline);
        }
        stream.Flush();
    }
}
