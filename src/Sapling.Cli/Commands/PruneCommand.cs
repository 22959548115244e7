using System.CommandLine;
using Sapling.Inference.Compression;
using Sapling.Models;
using Sapling.Models.Classifiers;
using Sapling.Models.Gpt;
using Sapling.NN;

namespace Sapling.Cli.Commands;

/// <summary><c>sapling prune --model DIR --sparsity 0.5 [--structured] [--finetune-steps N --config YAML] --out DIR</c></summary>
public static class PruneCommand
{
    /// <summary>Builds the <c>sapling prune</c> command with its options and action.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder (config.json + model.safetensors), float32: a classifier or a GPT-2-style language model", Required = true };
        var sparsity = new Option<double>("--sparsity") { Description = "Fraction to remove, in [0, 1): of all Linear/Conv weights (unstructured) or of the units of every layer (--structured)", Required = true };
        var structured = new Option<bool>("--structured") { Description = "Remove whole units and shrink the matrices: GPT MLP hidden units (n_inner), CNN conv channels and fully connected units" };
        var heads = new Option<double?>("--heads") { Description = "With --structured on a GPT: also remove this fraction of the attention heads of every layer (config pruned_heads)" };
        var steps = new Option<int>("--finetune-steps") { Description = "Fine-tune this many steps after pruning (needs --config); pruned weights stay zero", DefaultValueFactory = _ => 0 };
        var config = new Option<string?>("--config") { Description = "The model's training config (YAML): its data and split are used for the fine-tune" };
        var lr = new Option<double>("--lr") { Description = "Fine-tune learning rate (AdamW, constant)", DefaultValueFactory = _ => 3e-4 };
        var output = new Option<string>("--out") { Description = "Folder to write the pruned model to (tokenizer and other files are copied)", Required = true };
        var cmd = new Command("prune", "Magnitude pruning: unstructured (global threshold, zeros stored) or structured (whole units removed, smaller matrices), with an optional short fine-tune") { model, sparsity, structured, heads, steps, config, lr, output };
        cmd.SetAction(r => Run(r.GetValue(model)!, r.GetValue(sparsity), r.GetValue(structured), r.GetValue(heads), r.GetValue(steps), r.GetValue(config), r.GetValue(lr), r.GetValue(output)!));
        return cmd;
    }

    private static int Run(string modelDirectory, double sparsity, bool structured, double? headSparsity, int steps, string? configPath, double lr, string outputDirectory)
    {
        MagnitudePruning.CheckSparsity(sparsity);
        if (headSparsity is { } hs)
        {
            if (!structured) throw new ArgumentException("prune: --heads removes whole attention heads; it needs --structured");
            MagnitudePruning.CheckSparsity(hs);
        }
        if (steps < 0) throw new ArgumentException($"prune: --finetune-steps must be ≥ 0, got {steps}");
        if (steps > 0 && configPath == null) throw new ArgumentException("prune: --finetune-steps needs --config, the model's training config (its data section says what to fine-tune on)");
        if (configPath != null && !File.Exists(configPath)) throw new FileNotFoundException($"prune: config file '{configPath}' not found", configPath);
        long before = ModelFolderFiles.WeightsBytes(modelDirectory);
        try
        {
            if (ModelFolder.KindOf(modelDirectory) == ModelKind.Classifier)
            {
                var classifier = ClassifierFolder.Load(modelDirectory);
                RefuseQuantized(classifier.Config.Quantization != null, modelDirectory);
                Dictionary<string, Tensor>? masks = null;
                if (headSparsity != null) throw new ArgumentException("prune: --heads applies to GPT models; this folder holds a classifier");
                if (structured) classifier = StructuredPruning.PruneCnn(classifier, sparsity);
                else masks = MagnitudePruning.Prune(classifier.Module, sparsity);
                if (steps > 0) PruneFinetune.Classifier(classifier, configPath!, steps, lr, masks);
                ModelFolderFiles.CopySideFiles(modelDirectory, outputDirectory, "prune");
                ClassifierFolder.Save(outputDirectory, classifier);
                Report(classifier.Module, classifier.Config.ToJson(), before, outputDirectory);
            }
            else
            {
                var gpt = GptFolder.Load(modelDirectory);
                RefuseQuantized(gpt.Config.Quantization != null, modelDirectory);
                Dictionary<string, Tensor>? masks = null;
                if (structured) gpt = StructuredPruning.PruneGpt(gpt, sparsity);
                if (headSparsity is { } h) gpt = StructuredPruning.PruneGptHeads(gpt, h);
                else masks = MagnitudePruning.Prune(gpt, sparsity);
                if (steps > 0) PruneFinetune.LanguageModel(gpt, modelDirectory, configPath!, steps, lr, masks);
                ModelFolderFiles.CopySideFiles(modelDirectory, outputDirectory, "prune");
                GptFolder.Save(outputDirectory, gpt);
                var headsLeft = string.Join("/", Enumerable.Range(0, gpt.Config.NLayer).Select(gpt.Config.HeadsIn));
                Report(gpt, $"n_inner {gpt.Config.Inner}, heads per layer {headsLeft}", before, outputDirectory);
            }
        }
        catch (NotSupportedException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
        return 0;
    }

    private static void Report(Module model, string shape, long before, string outputDirectory)
    {
        long after = ModelFolderFiles.WeightsBytes(outputDirectory);
        string detail = shape.StartsWith('{') ? "" : $", {shape}";
        Console.WriteLine($"pruned: {MagnitudePruning.Sparsity(model):P1} of Linear/Conv weights are zero, {model.ParameterCount():N0} parameters{detail}; " +
            $"model.safetensors {before / 1024.0:F1} KiB → {after / 1024.0:F1} KiB; wrote {outputDirectory}");
    }

    private static void RefuseQuantized(bool quantized, string directory)
    {
        if (quantized) throw new InvalidDataException($"prune: '{directory}' is int8-quantized; prune the float32 model, then quantize");
    }
}
