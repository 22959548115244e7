using System.CommandLine;
using Sapling.Export;

namespace Sapling.Cli.Commands;

/// <summary><c>sapling export --model DIR --format onnx --out FILE.onnx</c></summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder (config.json + model.safetensors): an MLP, CNN or ResNet classifier, or a GPT-2-style language model", Required = true };
        var format = new Option<string>("--format") { Description = "Output format (only onnx: opset 17, dynamic batch and sequence axes)", DefaultValueFactory = _ => "onnx" };
        var output = new Option<string>("--out") { Description = "File to write, e.g. model.onnx", Required = true };
        var cmd = new Command("export", "Export a model folder for other runtimes. Classifiers take 'input' float32 [batch, ...] (preprocessed); language models take 'input_ids' int64 [batch, sequence]; the output is 'logits'") { model, format, output };
        cmd.SetAction(r => Run(r.GetValue(model)!, r.GetValue(format)!, r.GetValue(output)!));
        return cmd;
    }

    private static int Run(string modelDirectory, string format, string outputPath)
    {
        if (!string.Equals(format, "onnx", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"--format {format} is not supported; the only export format is onnx");
        // The ONNX graphs are float32; an int8 folder would need QLinear/DequantizeLinear nodes, which are not written yet.
        if (Models.ModelFolder.IsQuantized(modelDirectory))
            throw new InvalidDataException($"export: '{modelDirectory}' is int8-quantized and ONNX export writes float32 graphs only; export the float32 model it was quantized from");
        Sapling.Export.Onnx.ModelProto exported;
        try
        {
            exported = OnnxExporter.ExportFolder(modelDirectory);
        }
        catch (NotSupportedException e)
        {
            // A model this exporter cannot translate is the user's input, not a crash: report it as bad input.
            throw new InvalidDataException(e.Message, e);
        }
        OnnxModelFile.Save(exported, outputPath);
        var graph = exported.Graph;
        Console.WriteLine($"wrote {outputPath} ({new FileInfo(outputPath).Length / 1024.0:F1} KiB): ONNX opset {OnnxModelFile.Opset}, " +
            $"{graph.Node.Count} nodes, {graph.Initializer.Count} initializers; input {Describe(graph.Input[0])}, output {Describe(graph.Output[0])}");
        return 0;
    }

    private static string Describe(Sapling.Export.Onnx.ValueInfoProto value) =>
        $"{value.Name} [{string.Join(", ", value.Type.TensorType.Shape.Dim.Select(d => d.HasDimParam ? d.DimParam : d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";
}
