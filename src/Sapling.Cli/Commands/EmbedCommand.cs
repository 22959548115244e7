using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Sapling.Inference;

namespace Sapling.Cli.Commands;

/// <summary><c>sapling embed --model DIR --input FILE --out FILE.jsonl</c>: one sentence embedding per input line, in order.</summary>
public static class EmbedCommand
{
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
        string[] lines;
        try
        {
            lines = File.ReadAllLines(inputPath, new UTF8Encoding(false, throwOnInvalidBytes: true));
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{inputPath}: not valid UTF-8 text ({e.Message})", e);
        }
        var watch = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        var vectors = embedder.Embed(lines, batchSize, pooling == "mean", normalize, done =>
        {
            if (watch.Elapsed - lastReport < TimeSpan.FromSeconds(2) && done < lines.Length) return;
            lastReport = watch.Elapsed;
            double rate = done / Math.Max(1e-9, watch.Elapsed.TotalSeconds);
            Console.Error.WriteLine($"embedded {done:N0}/{lines.Length:N0} texts  {rate:F1} texts/s  ETA {TimeSpan.FromSeconds((lines.Length - done) / Math.Max(rate, 1e-9)):hh\\:mm\\:ss}");
        });
        if (outputPath != null) IO.AtomicFile.Write(outputPath, stream => WriteLines(stream, vectors));
        else
        {
            using var stdout = Console.OpenStandardOutput();
            WriteLines(stdout, vectors);
        }
        if (outputPath != null) Console.Error.WriteLine($"wrote {vectors.Length:N0} embeddings of {embedder.Dimensions} values to {outputPath} in {watch.Elapsed.TotalSeconds:F1} s");
        return 0;
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
