using System.CommandLine;
using Sapling.Autograd;
using Sapling.Export.Import;
using Sapling.IO;
using Sapling.Models;
using Sapling.Models.Classifiers;

namespace Sapling.Cli.Commands;

/// <summary><c>sapling run --model DIR --input in.safetensors --out out.safetensors</c>: one forward pass on given tensors, for comparing with other runtimes tensor for tensor.</summary>
public static class RunCommand
{
    /// <summary>Builds the <c>sapling run</c> command with its options and action.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder: an imported ONNX graph, a torchvision ResNet, a BERT encoder, a classifier or a language model", Required = true };
        var input = new Option<string>("--input") { Description = "safetensors file of inputs: an imported ONNX graph's inputs by their ONNX names; 'pixel_values' [N, C, H, W] for a ResNet; 'input_ids' (and 'attention_mask', 'token_type_ids') for BERT; 'input' for a classifier; 'input_ids' (int64 [B, T]) for a language model", Required = true };
        var output = new Option<string>("--out") { Description = "safetensors file to write the outputs to (an ONNX graph's outputs by their names; 'logits' or 'features' otherwise)", Required = true };
        var cmd = new Command("run", "Run a model's forward pass on the tensors in a safetensors file and write its outputs, in evaluation mode") { model, input, output };
        cmd.SetAction(r => Run(r.GetValue(model)!, r.GetValue(input)!, r.GetValue(output)!));
        return cmd;
    }

    private static int Run(string directory, string inputPath, string outputPath)
    {
        var inputs = SafeTensors.LoadAll(inputPath);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Dictionary<string, Tensor> outputs;
        using (NoGrad.Enter())
        {
            outputs = ModelFolder.KindOf(directory) switch
            {
                ModelKind.OnnxGraph => new Dictionary<string, Tensor>(OnnxFolder.Load(directory).Run(inputs)),
                ModelKind.Encoder => RunBert(directory, inputs, inputPath),
                ModelKind.Classifier => RunClassifier(directory, inputs, inputPath),
                ModelKind.LanguageModel => new() { ["logits"] = ModelRegistry.LoadLanguageModel(directory).Forward(Single(inputs, "input_ids", inputPath, DType.Int64)) },
                var kind => throw new NotSupportedException($"sapling run: '{directory}' is a {kind} folder, which run does not handle yet (ONNX graphs, ResNets, BERT encoders, classifiers and language models are)"),
            };
        }
        foreach (var (name, value) in outputs.ToList()) outputs[name] = value.Contiguous();
        SafeTensors.Save(outputPath, outputs);
        Console.WriteLine($"ran {directory} in {watch.Elapsed.TotalMilliseconds:F0} ms; wrote {outputPath}: {string.Join(", ", outputs.Select(o => $"{o.Key} {ShapeUtil.Format(o.Value.Shape.ToArray())}"))}");
        return 0;
    }

    private static Dictionary<string, Tensor> RunClassifier(string directory, Dictionary<string, Tensor> inputs, string inputPath)
    {
        var classifier = ClassifierFolder.Load(directory);
        // A torchvision ResNet takes pixel_values, Sapling's classifiers input (either way the file's only tensor will do).
        bool resnet = classifier is TorchvisionResNetClassifier;
        var y = classifier.Module.Forward(Single(inputs, resnet ? "pixel_values" : "input", inputPath, DType.Float32));
        return new() { [resnet && classifier.Config.NumClasses == 0 ? "features" : "logits"] = y };
    }

    private static Dictionary<string, Tensor> RunBert(string directory, Dictionary<string, Tensor> inputs, string inputPath)
    {
        var model = Models.Bert.BertFolder.Load(directory);
        foreach (var name in inputs.Keys)
            if (name is not ("input_ids" or "attention_mask" or "token_type_ids"))
                throw new InvalidDataException($"{inputPath}: '{name}' is not a BERT input (input_ids, attention_mask, token_type_ids)");
        var ids = Single(inputs, "input_ids", inputPath, DType.Int64);
        var mask = inputs.TryGetValue("attention_mask", out var m) ? m : null;
        var types = inputs.TryGetValue("token_type_ids", out var t) ? t.To(DType.Int64) : null;
        var (hidden, pooled) = model.Forward(ids, mask, types);
        var outputs = new Dictionary<string, Tensor> { ["last_hidden_state"] = hidden };
        if (pooled != null) outputs["pooler_output"] = pooled;
        return outputs;
    }

    /// <summary>The input of that name, or the file's only tensor; converted to the dtype the model takes.</summary>
    private static Tensor Single(Dictionary<string, Tensor> inputs, string name, string path, DType dtype)
    {
        if (!inputs.TryGetValue(name, out var t))
        {
            if (inputs.Count != 1) throw new InvalidDataException($"{path}: expected a tensor named '{name}' (or a single tensor), found {string.Join(", ", inputs.Keys)}");
            t = inputs.Values.First();
        }
        if (t.DType == dtype) return t;
        bool bothFloat = t.DType.IsComputeType() && dtype.IsComputeType();
        bool bothInteger = t.DType is DType.Int32 or DType.Int64 && dtype is DType.Int32 or DType.Int64;
        if (!bothFloat && !bothInteger) throw new InvalidDataException($"{path}: '{name}' is {t.DType.Name()}, expected {dtype.Name()}");
        return t.To(dtype);
    }
}
