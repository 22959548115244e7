using Sapling.Models;
using Sapling.Export.Onnx;
using Sapling.Models.Classifiers;
using Sapling.Models.Gpt;

namespace Sapling.Export;

/// <summary>
/// Exports Sapling models to ONNX (opset 17). Classifiers (MLP, CNN, ResNet) take "input" float32
/// [batch, ...input_shape]; GPT language models take "input_ids" int64 [batch, sequence]; the first output is always
/// "logits". Batch (and sequence) axes are symbolic, so one file serves any batch size and length.
/// </summary>
public static class OnnxExporter
{
    public const string BatchAxis = "batch";
    public const string SequenceAxis = "sequence";

    public static ModelProto Export(IClassifier classifier) => ClassifierOnnx.Build(classifier);

    public static ModelProto Export(GptModel model) => GptOnnx.Build(model);

    /// <summary>Loads a model folder (config.json "model_type": "gpt2" is a GPT, anything else a classifier) and exports it.</summary>
    public static ModelProto ExportFolder(string directory) => ModelFolder.KindOf(directory) == ModelKind.Classifier
        ? Export(ClassifierFolder.Load(directory))
        : Export(GptFolder.Load(directory));
}
