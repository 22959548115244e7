using System.CommandLine;
using Sapling.Export.Import;

namespace Sapling.Cli.Commands;

/// <summary><c>sapling import onnx FILE.onnx --out DIR</c></summary>
public static class ImportCommand
{
    /// <summary>Builds the <c>sapling import</c> command with its options and action.</summary>
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "The .onnx file (tensors stored as external data are read from its folder)" };
        var output = new Option<string>("--out") { Description = "Model folder to write", Required = true };
        var generic = new Option<bool>("--generic") { Description = "Keep the graph as it is (run by the ONNX interpreter) even when Sapling knows its architecture" };
        var bgr = new Option<bool>("--bgr") { Description = "ResNet: the network was trained on BGR images (Caffe, CNTK); the folder is made to take RGB" };
        var mean = new Option<string?>("--mean") { Description = "ResNet: per-channel mean of pixels in [0, 1], R,G,B (ImageNet's: 0.485,0.456,0.406)" };
        var std = new Option<string?>("--std") { Description = "ResNet: per-channel standard deviation of pixels in [0, 1], R,G,B (ImageNet's: 0.229,0.224,0.225)" };
        var size = new Option<string?>("--image-size") { Description = "ResNet: HEIGHT,WIDTH the model takes as a classifier (default 224,224)" };
        var shorter = new Option<int?>("--resize-shorter-side") { Description = "ResNet: scale each image to this shorter side (aspect kept) and crop the centre image size, as ImageNet evaluation does (256 for 224); default: stretch to the image size" };
        var onnx = new Command("onnx", "Import an ONNX model as a Sapling model folder. A ResNet is mapped onto Sapling's torchvision-layout ResNet and a Hugging Face BERT export onto Sapling's BertModel (their canonical weight names) after checking each agrees with the graph; any other graph is run by Sapling's ONNX interpreter, its weights trainable under their ONNX names. Ops the interpreter does not run are refused by name") { file, output, generic, bgr, mean, std, size, shorter };
        onnx.SetAction(r => Run(r.GetValue(file)!, r.GetValue(output)!, r.GetValue(generic), r.GetValue(bgr), r.GetValue(mean), r.GetValue(std), r.GetValue(size), r.GetValue(shorter)));
        return new Command("import", "Bring a model from another format into a Sapling model folder") { onnx };
    }

    private static int Run(string file, string output, bool generic, bool bgr, string? mean, string? std, string? size, int? shorter)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var image = bgr || mean != null || std != null || size != null || shorter != null
            ? new OnnxImporter.ImageInput(bgr, Numbers(mean, "--mean"), Numbers(std, "--std"), Numbers(size, "--image-size")?.Select(v => (int)v).ToArray(), shorter)
            : null;
        var result = OnnxImporter.Import(file, output, generic, image);
        Console.WriteLine($"{file}: {result.Description}");
        Console.WriteLine($"wrote {output} (model_type {result.Kind}) in {watch.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    private static float[]? Numbers(string? text, string option)
    {
        if (text == null) return null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i]))
                throw new ArgumentException($"{option}: '{parts[i]}' is not a number (expected comma-separated numbers, e.g. 0.485,0.456,0.406)");
        return values;
    }
}
