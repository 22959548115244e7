using System.CommandLine;
using Sapling.Export.Import;

namespace Sapling.Cli.Commands;

/// <summary><c>sapling import onnx FILE.onnx --out DIR</c></summary>
public static class ImportCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "The .onnx file (tensors stored as external data are read from its folder)" };
        var output = new Option<string>("--out") { Description = "Model folder to write", Required = true };
        var generic = new Option<bool>("--generic") { Description = "Keep the graph as it is (run by the ONNX interpreter) even when Sapling knows its architecture" };
        var onnx = new Command("onnx", "Import an ONNX model as a Sapling model folder. A ResNet is mapped onto Sapling's torchvision-layout ResNet (torchvision's state_dict names) after checking both agree; any other graph is run by Sapling's ONNX interpreter, its weights trainable under their ONNX names. Ops the interpreter does not run are refused by name") { file, output, generic };
        onnx.SetAction(r => Run(r.GetValue(file)!, r.GetValue(output)!, r.GetValue(generic)));
        return new Command("import", "Bring a model from another format into a Sapling model folder") { onnx };
    }

    private static int Run(string file, string output, bool generic)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = OnnxImporter.Import(file, output, generic);
        Console.WriteLine($"{file}: {result.Description}");
        Console.WriteLine($"wrote {output} (model_type {result.Kind}) in {watch.Elapsed.TotalSeconds:F1} s");
        return 0;
    }
}
