using System.CommandLine;
using Sapling.Inference.Compression;

namespace Sapling.Cli.Commands;

/// <summary><c>sapling quantize --model DIR [--type int8|q8_0|q4_0|q4_k_m|q6_k] --out PATH</c></summary>
public static class QuantizeCommand
{
    /// <summary>Builds the <c>sapling quantize</c> command with its options and action.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder (config.json + model.safetensors): a classifier, an encoder, an encoder-decoder, GPT-2 or a Llama-family decoder", Required = true };
        var type = new Option<string>("--type")
        {
            Description = "int8: a model folder whose Linear/Conv weights are I8 with one float32 scale per output channel (every model kind). " +
                $"{string.Join(", ", Models.Gguf.GgufExport.FileTypes.Where(t => t[0] == 'q'))}: llama.cpp's block formats, written as one GGUF file (GPT-2 and Llama-family decoders; the same file `export --format gguf` writes)",
            DefaultValueFactory = _ => "int8",
        };
        var bits = new Option<int?>("--bits") { Description = "Kept for scripts: 8 is --type int8" };
        var output = new Option<string>("--out") { Description = "Where to write: a folder for int8 (tokenizer and other files are copied), a .gguf file for the block formats", Required = true };
        var cmd = new Command("quantize", "Weight quantisation: int8 per-channel folders that eval, predict, generate and serve run in int8, or llama.cpp's Q8_0/Q4_0/Q4_K_M/Q6_K as GGUF") { model, type, bits, output };
        cmd.SetAction(r => Run(r.GetValue(model)!, r.GetValue(type)!, r.GetValue(bits), r.GetValue(output)!));
        return cmd;
    }

    private static int Run(string modelDirectory, string type, int? bits, string outputPath)
    {
        type = type.ToLowerInvariant();
        if (bits is int b)
        {
            if (b != 8) throw new ArgumentException($"quantize: --bits {b} is not supported; --bits 8 is --type int8 (per-channel), and 4-bit weights are --type q4_0, q4_k_m (GGUF)");
            if (type != "int8") throw new ArgumentException($"quantize: --bits 8 and --type {type} disagree; give --type alone");
        }
        if (type != "int8")
        {
            if (!Models.Gguf.GgufExport.FileTypes.Contains(type) || type[0] != 'q')
                throw new ArgumentException($"quantize: --type {type} is not supported (int8, {string.Join(", ", Models.Gguf.GgufExport.FileTypes.Where(t => t[0] == 'q'))}); float GGUF files are `export --format gguf --type f16`");
            if (Directory.Exists(outputPath)) throw new ArgumentException($"quantize: --type {type} writes one GGUF file, but --out '{outputPath}' is a folder");
            var kind = Models.ModelFolder.KindOf(modelDirectory);
            if (kind != Models.ModelKind.LanguageModel)
                throw new InvalidDataException($"quantize: '{modelDirectory}' holds a {Models.ModelRegistry.ModelTypeOf(modelDirectory)} {kind}; llama.cpp's block formats are written for GPT-2 and Llama-family decoders (--type int8 quantizes every kind)");
            var watch = System.Diagnostics.Stopwatch.StartNew();
            long before = Models.Gguf.GgufModel.IsGgufPath(modelDirectory) ? new FileInfo(modelDirectory).Length : ModelFolderFiles.WeightsBytes(modelDirectory);
            try
            {
                Models.Gguf.GgufExport.Save(modelDirectory, outputPath, type);
            }
            catch (NotSupportedException e)
            {
                throw new InvalidDataException(e.Message, e);
            }
            long after = new FileInfo(outputPath).Length;
            Console.WriteLine($"wrote {outputPath} ({type}, GGUF): {before / 1048576.0:F1} MiB → {after / 1048576.0:F1} MiB ({(double)before / after:F2}× smaller) in {watch.Elapsed.TotalSeconds:F1} s; generate, chat, serve and eval take it as --model, and so does llama.cpp");
            return 0;
        }
        QuantizeSummary summary;
        try
        {
            summary = Quantizer.QuantizeFolder(modelDirectory, outputPath);
        }
        catch (NotSupportedException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
        Console.WriteLine($"quantized {summary.Modules.Length} layers to int8 ({string.Join(", ", summary.Modules.Take(6))}{(summary.Modules.Length > 6 ? ", ..." : "")}); float32: {summary.FloatModules}");
        Console.WriteLine($"model.safetensors {summary.BytesBefore / 1024.0:F1} KiB → {summary.BytesAfter / 1024.0:F1} KiB ({(double)summary.BytesBefore / summary.BytesAfter:F2}× smaller); wrote {outputPath}");
        return 0;
    }
}
