using System.CommandLine;
using Sapling.Inference.Compression;

namespace Sapling.Cli.Commands;

/// <summary><c>sapling quantize --model DIR --bits 8 --out DIR</c></summary>
public static class QuantizeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder (config.json + model.safetensors): a classifier or a GPT-2-style model, float32", Required = true };
        var bits = new Option<int>("--bits") { Description = "Weight bits (only 8: int8 weights with one float32 scale per output channel)", DefaultValueFactory = _ => 8 };
        var output = new Option<string>("--out") { Description = "Folder to write the quantized model to (tokenizer and other files are copied)", Required = true };
        var cmd = new Command("quantize", "Int8 weight-only quantisation: Linear, Conv1D and Conv2d weights become I8 with per-channel scales; eval, predict and generate run the folder in int8") { model, bits, output };
        cmd.SetAction(r => Run(r.GetValue(model)!, r.GetValue(bits), r.GetValue(output)!));
        return cmd;
    }

    private static int Run(string modelDirectory, int bits, string outputDirectory)
    {
        QuantizeSummary summary;
        try
        {
            summary = Quantizer.QuantizeFolder(modelDirectory, outputDirectory, bits);
        }
        catch (NotSupportedException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
        Console.WriteLine($"quantized {summary.Modules.Length} layers to int8 ({string.Join(", ", summary.Modules.Take(6))}{(summary.Modules.Length > 6 ? ", ..." : "")}); float32: {summary.FloatModules}");
        Console.WriteLine($"model.safetensors {summary.BytesBefore / 1024.0:F1} KiB → {summary.BytesAfter / 1024.0:F1} KiB ({(double)summary.BytesBefore / summary.BytesAfter:F2}× smaller); wrote {outputDirectory}");
        return 0;
    }
}
