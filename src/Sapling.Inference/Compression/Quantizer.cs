using Sapling.Models;
using Sapling.Models.Classifiers;
using Sapling.Models.Compression;
using Sapling.Models.Gpt;

namespace Sapling.Inference.Compression;

/// <summary>
/// Int8 weight-only quantisation of a model folder: every Linear, GPT-2 Conv1D and Conv2d weight becomes I8 with a
/// float32 scale per output channel; embeddings, norms and biases stay float32 (so does a GPT's output head, which
/// is tied to the token embedding). The result is an ordinary model folder that the usual loaders run in int8.
/// </summary>
public static class Quantizer
{
    public static QuantizeSummary QuantizeFolder(string modelDirectory, string outputDirectory, int bits = 8)
    {
        if (bits != 8) throw new ArgumentException($"quantize: --bits {bits} is not supported; only 8 bits is supported (int8 weights, per-channel scales)");
        var kind = ModelFolder.KindOf(modelDirectory);
        long before = ModelFolderFiles.WeightsBytes(modelDirectory);
        string floatModules;
        string[] modules;
        if (kind == ModelKind.Classifier)
        {
            var config = ClassifierFolder.ReadConfig(modelDirectory);
            RefuseQuantized(config.Quantization, modelDirectory);
            var classifier = ClassifierFolder.Load(modelDirectory);
            modules = ModelQuantization.QuantizeAll(classifier.Module);
            floatModules = "biases and batch-norm statistics";
            ModelFolderFiles.CopySideFiles(modelDirectory, outputDirectory, "quantize");
            ClassifierFolder.Save(outputDirectory, classifier, classifier.Config with { Quantization = Entry(modules, floatModules) });
        }
        else
        {
            var model = GptFolder.Load(modelDirectory);
            RefuseQuantized(model.Config.Quantization, modelDirectory);
            // The token embedding (and so the tied output head) is int8 too: it is a large share of a small model. The
            // position embedding is small and added to every token, so it stays float32.
            modules = ModelQuantization.QuantizeAll(model, name => name != "wpe");
            floatModules = "position embedding (wpe), layer norms and biases; the output head is tied to the int8 token embedding (wte)";
            ModelFolderFiles.CopySideFiles(modelDirectory, outputDirectory, "quantize");
            GptFolder.Save(outputDirectory, model, model.Config with { Quantization = Entry(modules, floatModules) });
        }
        return new QuantizeSummary(modules, floatModules, before, ModelFolderFiles.WeightsBytes(outputDirectory));
    }

    private static QuantizationConfig Entry(string[] modules, string floatModules) => new() { Modules = modules, FloatModules = floatModules };

    private static void RefuseQuantized(QuantizationConfig? existing, string directory)
    {
        if (existing != null)
            throw new InvalidDataException($"quantize: '{directory}' is already int8-quantized (its config.json has a quantization entry); quantize the float32 model instead");
    }
}
