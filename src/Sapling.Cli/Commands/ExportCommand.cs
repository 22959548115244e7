using System.CommandLine;
using Sapling.Export;

namespace Sapling.Cli.Commands;

/// <summary><c>sapling export --model DIR --format onnx --out FILE.onnx</c></summary>
public static class ExportCommand
{
    /// <summary>Builds the <c>sapling export</c> command with its options and action.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder (config.json + model.safetensors): an MLP, CNN or ResNet classifier, or a GPT-2-style language model", Required = true };
        var format = new Option<string>("--format") { Description = "Output format: onnx (opset 17, dynamic batch and sequence axes) or gguf (llama.cpp; Llama-family language models)", DefaultValueFactory = _ => "onnx" };
        var type = new Option<string>("--type") { Description = $"GGUF weight type: {string.Join(", ", Models.Gguf.GgufExport.FileTypes)} (llama.cpp's recipes; q4_k_m mixes Q4_K and Q6_K)", DefaultValueFactory = _ => "f16" };
        var output = new Option<string>("--out") { Description = "File to write, e.g. model.onnx or model-q8_0.gguf", Required = true };
        var cmd = new Command("export", "Export a model for other runtimes. ONNX: classifiers take 'input' float32 [batch, ...] (preprocessed); language models take 'input_ids' int64 [batch, sequence]; the output is 'logits'. GGUF: a single file with the tokenizer and chat template that llama.cpp, LLamaSharp and Ollama run") { model, format, type, output };
        cmd.SetAction(r => Run(r.GetValue(model)!, r.GetValue(format)!, r.GetValue(type)!, r.GetValue(output)!));
        return cmd;
    }

    private static int Run(string modelDirectory, string format, string type, string outputPath)
    {
        if (string.Equals(format, "gguf", StringComparison.OrdinalIgnoreCase))
        {
            if (!Models.Gguf.GgufExport.FileTypes.Contains(type.ToLowerInvariant()))
                throw new ArgumentException($"--type {type} is not supported for GGUF ({string.Join(", ", Models.Gguf.GgufExport.FileTypes)})");
            var watch = System.Diagnostics.Stopwatch.StartNew();
            Models.Gguf.GgufExport.Save(modelDirectory, outputPath, type);
            Console.WriteLine($"wrote {outputPath} ({new FileInfo(outputPath).Length / 1048576.0:F1} MiB, {type}) in {watch.Elapsed.TotalSeconds:F1} s");
            return 0;
        }
        if (!string.Equals(format, "onnx", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"--format {format} is not supported (onnx, gguf)");
        try
        {
            OnnxExporter.RequireFloat(modelDirectory);
        }
        catch (NotSupportedException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
        if (Models.ModelFolder.KindOf(modelDirectory) == Models.ModelKind.Seq2SeqLM) return ExportSeq2Seq(modelDirectory, outputPath);
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
        if (graph.Initializer.Any(t => t.DataLocation == Sapling.Export.Onnx.TensorProto.Types.DataLocation.External))
            Console.WriteLine($"the weights are past protobuf's 2 GiB limit: they are in {outputPath}_data ({new FileInfo(outputPath + "_data").Length / 1048576.0:F1} MiB, ONNX external data), which must stay beside the graph");
        Console.WriteLine($"wrote {outputPath} ({new FileInfo(outputPath).Length / 1024.0:F1} KiB): ONNX opset {OnnxModelFile.Opset}, " +
            $"{graph.Node.Count} nodes, {graph.Initializer.Count} initializers; input {Describe(graph.Input[0])}, output {Describe(graph.Output[0])}");
        return 0;
    }

    /// <summary>An encoder-decoder: a folder in Hugging Face Optimum's layout (three graphs, config.json, the tokenizer files).</summary>
    private static int ExportSeq2Seq(string modelDirectory, string outputDirectory)
    {
        if (File.Exists(outputDirectory)) throw new ArgumentException($"export: an encoder-decoder exports to a folder of three graphs; '{outputDirectory}' is a file");
        IReadOnlyDictionary<string, Sapling.Export.Onnx.ModelProto> graphs;
        try
        {
            graphs = OnnxExporter.ExportSeq2Seq(Models.ModelRegistry.LoadSeq2SeqLM(modelDirectory, Models.WeightStorage.Float32));
        }
        catch (NotSupportedException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
        Directory.CreateDirectory(outputDirectory);
        foreach (var (name, graph) in graphs)
        {
            var path = Path.Combine(outputDirectory, name);
            OnnxModelFile.Save(graph, path);
            Console.WriteLine($"wrote {path} ({new FileInfo(path).Length / 1048576.0:F1} MiB): {graph.Graph.Node.Count} nodes, {graph.Graph.Input.Count} inputs, {graph.Graph.Output.Count} outputs");
        }
        foreach (var side in new[] { "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "source.spm", "target.spm", "vocab.json", "spiece.model" })
            if (File.Exists(Path.Combine(modelDirectory, side))) File.Copy(Path.Combine(modelDirectory, side), Path.Combine(outputDirectory, side), overwrite: true);
        return 0;
    }

    private static string Describe(Sapling.Export.Onnx.ValueInfoProto value) =>
        $"{value.Name} [{string.Join(", ", value.Type.TensorType.Shape.Dim.Select(d => d.HasDimParam ? d.DimParam : d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";
}
