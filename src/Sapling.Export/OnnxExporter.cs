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
    /// <summary>The symbol of the dynamic batch axis in exported inputs and outputs.</summary>
    public const string BatchAxis = "batch";
    /// <summary>The symbol of the dynamic sequence axis in exported language-model inputs and outputs.</summary>
    public const string SequenceAxis = "sequence";

    /// <summary>
    /// An MLP, CNN or ResNet classifier: input "input", output "logits". Refuses layers without an ONNX translation,
    /// unmerged LoRA adapters and batch norms without running statistics.
    /// </summary>
    public static ModelProto Export(IClassifier classifier) => classifier is TorchvisionResNetClassifier resnet ? ResNetOnnx.Build(resnet.Network) : ClassifierOnnx.Build(classifier);

    /// <summary>
    /// A GPT language model: input "input_ids", output "logits". Refuses GPT sequence classifiers and models with
    /// prompt-tuning embeddings.
    /// </summary>
    public static ModelProto Export(GptModel model) => GptOnnx.Build(model);

    /// <summary>A Llama-family decoder (llama, mistral, qwen2, qwen3) with past keys and values, in Optimum's input and output names.</summary>
    public static ModelProto Export(Models.Llama.LlamaForCausalLM model) => LlamaOnnx.Build(model);

    /// <summary>A torchvision-layout ResNet; <paramref name="foldBatchNorm"/> folds each batch norm into its convolution, as PyTorch's exporter does.</summary>
    public static ModelProto Export(Models.Vision.TorchvisionResNet model, bool foldBatchNorm = false) => ResNetOnnx.Build(model, foldBatchNorm);

    /// <summary>A BERT or RoBERTa encoder: inputs input_ids, attention_mask (BERT: token_type_ids), outputs last_hidden_state (and pooler_output).</summary>
    public static ModelProto Export(Models.Bert.BertModel model) => BertOnnx.Build(model);

    /// <summary>A DistilBERT encoder: inputs input_ids and attention_mask, output last_hidden_state.</summary>
    public static ModelProto Export(Models.DistilBert.DistilBertModel model) => DistilBertOnnx.Build(model);

    /// <summary>A BERT, RoBERTa or DistilBERT sequence classifier: the encoder's inputs, output logits.</summary>
    public static ModelProto Export(ISequenceClassifier classifier) => classifier switch
    {
        Models.Bert.BertForSequenceClassification bert => BertOnnx.Build(bert),
        Models.Roberta.RobertaForSequenceClassification roberta => BertOnnx.Build(roberta),
        Models.DistilBert.DistilBertForSequenceClassification distilbert => DistilBertOnnx.Build(distilbert),
        _ => throw new NotSupportedException($"ONNX export: {classifier.ModelType} sequence classifiers are not translated yet (bert, roberta and distilbert are)"),
    };

    /// <summary>A BERT, RoBERTa or DistilBERT token classifier: the encoder's inputs, output "logits" [batch, sequence, tags].</summary>
    public static ModelProto Export(ITokenClassifier tagger) => tagger switch
    {
        Models.Bert.BertForTokenClassification bert => BertOnnx.Build(bert),
        Models.DistilBert.DistilBertForTokenClassification distilbert => DistilBertOnnx.Build(distilbert),
        _ => throw new NotSupportedException($"ONNX export: {tagger.ModelType} token classifiers are not translated yet (bert, roberta and distilbert are)"),
    };

    /// <summary>The encoder-decoder's graphs by file name, as Hugging Face Optimum lays them out for generation
    /// (encoder_model.onnx, decoder_model.onnx, decoder_with_past_model.onnx): BART, Marian and T5.</summary>
    public static IReadOnlyDictionary<string, ModelProto> ExportSeq2Seq(ISeq2SeqLM model) => model switch
    {
        Models.Bart.BartForConditionalGeneration bart => new Dictionary<string, ModelProto>
        {
            ["encoder_model.onnx"] = BartOnnx.Encoder(bart),
            ["decoder_model.onnx"] = BartOnnx.Decoder(bart, withPast: false),
            ["decoder_with_past_model.onnx"] = BartOnnx.Decoder(bart, withPast: true),
        },
        Models.T5.T5ForConditionalGeneration t5 => new Dictionary<string, ModelProto>
        {
            ["encoder_model.onnx"] = T5Onnx.Encoder(t5),
            ["decoder_model.onnx"] = T5Onnx.Decoder(t5, withPast: false),
            ["decoder_with_past_model.onnx"] = T5Onnx.Decoder(t5, withPast: true),
        },
        _ => throw new NotSupportedException($"ONNX export: {model.ModelType} encoder-decoders are not translated yet (bart, marian and t5 are)"),
    };

    /// <summary>Loads a model folder (a classifier, a GPT, a torchvision ResNet, a BERT/RoBERTa/DistilBERT encoder or classifier, or an
    /// imported ONNX graph) and exports it.</summary>
    public static ModelProto ExportFolder(string directory)
    {
        RequireFloat(directory);
        return ExportKind(directory);
    }

    /// <summary>Refuses an int8-quantized folder: the graphs are float32 (QLinear / DequantizeLinear nodes are not written).</summary>
    public static void RequireFloat(string directory)
    {
        if (ModelFolder.IsQuantized(directory))
            throw new NotSupportedException($"ONNX export: '{directory}' is int8-quantized (its config.json has a quantization entry) and the exporter writes float32 graphs only; export the float32 model it was quantized from");
    }

    private static ModelProto ExportKind(string directory) => ModelFolder.KindOf(directory) switch
    {
        ModelKind.Classifier => Export(ClassifierFolder.Load(directory)),
        ModelKind.TextClassifier when ModelRegistry.ModelTypeOf(directory) is "bert" or "roberta" or "distilbert" => Export(ModelRegistry.LoadSequenceClassifier(directory)),
        ModelKind.Encoder when ModelRegistry.ModelTypeOf(directory) is "bert" or "roberta" => Export(Models.Bert.BertFolder.Load(directory)),
        ModelKind.Encoder when ModelRegistry.ModelTypeOf(directory) is "distilbert" => Export(Models.DistilBert.DistilBertFolder.Load(directory)),
        ModelKind.TokenClassifier when ModelRegistry.ModelTypeOf(directory) is "bert" or "roberta" or "distilbert" => Export(ModelRegistry.LoadTokenClassifier(directory)),
        ModelKind.OnnxGraph => Import.OnnxFolder.ToModel(Import.OnnxFolder.Load(directory)),
        ModelKind.LanguageModel when ModelRegistry.ModelTypeOf(directory) == "gpt2" => Export(GptFolder.Load(directory)),
        ModelKind.LanguageModel when ModelRegistry.ModelTypeOf(directory) is { } type && Models.Llama.LlamaConfig.ModelTypes.Contains(type)
            => Export(Models.Llama.LlamaFolder.Load(directory)),
        var kind => throw new NotSupportedException($"ONNX export: '{directory}' holds a {ModelRegistry.ModelTypeOf(directory)} {kind}, which the exporter does not translate yet (classifiers, GPT-2, the Llama family, torchvision ResNets, BERT/RoBERTa/DistilBERT encoders, sequence and token classifiers, and imported ONNX graphs are)"),
    };
}
