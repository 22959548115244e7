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
    /// <summary>
    /// Writes an int8 copy of the float32 model folder at <paramref name="modelDirectory"/> to
    /// <paramref name="outputDirectory"/>, with the folder's other files, and returns what was quantised and the sizes
    /// before and after. Refuses <paramref name="bits"/> other than 8, a folder already quantised, and model types it
    /// does not cover.
    /// </summary>
    public static QuantizeSummary QuantizeFolder(string modelDirectory, string outputDirectory, int bits = 8)
    {
        if (bits != 8) throw new ArgumentException($"quantize: --bits {bits} is not supported; only 8 bits is supported (int8 weights, per-channel scales)");
        var kind = ModelFolder.KindOf(modelDirectory);
        long before = ModelFolderFiles.WeightsBytes(modelDirectory);
        string floatModules;
        string[] modules;
        if (kind == ModelKind.Seq2SeqLM)
        {
            // Every Linear (attention, feed-forward, an untied lm_head); the shared embedding, which a tied head also
            // reads as its output matrix, and the position tables stay float32.
            if (ModelFolder.IsQuantized(modelDirectory))
                throw new InvalidDataException($"quantize: '{modelDirectory}' is already int8-quantized (its config.json has a quantization entry); quantize the float32 model instead");
            var model = ModelRegistry.LoadSeq2SeqLM(modelDirectory, WeightStorage.Float32);
            floatModules = "the shared token embedding (and the tied output head), position tables, layer norms and biases";
            ModelFolderFiles.CopySideFiles(modelDirectory, outputDirectory, "quantize");
            switch (model)
            {
                case Models.Bart.BartForConditionalGeneration bart:
                    modules = ModelQuantization.QuantizeAll(bart, name => name is not ("model.shared" or "model.encoder.embed_positions" or "model.decoder.embed_positions"));
                    Models.Bart.BartFolder.Save(outputDirectory, bart, bart.Config with { Quantization = Entry(modules, floatModules) });
                    break;
                case Models.T5.T5ForConditionalGeneration t5:
                    modules = ModelQuantization.QuantizeAll(t5, name => name != "shared" && !name.EndsWith("relative_attention_bias", StringComparison.Ordinal));
                    Models.T5.T5Folder.Save(outputDirectory, t5, t5.Config with { Quantization = Entry(modules, floatModules) });
                    break;
                default:
                    throw new NotSupportedException($"quantize: {model.ModelType} encoder-decoders are not supported (bart, marian, t5 are)");
            }
        }
        else if (kind == ModelKind.Classifier)
        {
            var config = ClassifierFolder.ReadConfig(modelDirectory);
            RefuseQuantized(config.Quantization, modelDirectory);
            var classifier = ClassifierFolder.Load(modelDirectory);
            modules = ModelQuantization.QuantizeAll(classifier.Module);
            floatModules = "biases and batch-norm statistics";
            ModelFolderFiles.CopySideFiles(modelDirectory, outputDirectory, "quantize");
            ClassifierFolder.Save(outputDirectory, classifier, classifier.Config with { Quantization = Entry(modules, floatModules) });
        }
        else if (kind == ModelKind.LanguageModel && ModelRegistry.ModelTypeOf(modelDirectory) is { } type && Models.Llama.LlamaConfig.ModelTypes.Contains(type))
        {
            var config = Models.Llama.LlamaFolder.ReadConfig(modelDirectory);
            RefuseQuantized(config.Quantization, modelDirectory);
            // Every projection and the token embedding: at a vocabulary of 32,000–152,000 it is a fifth to a quarter of a
            // 0.5–1 B model, and a tied head reads it as its output matrix. The weights stay mapped in their stored dtype
            // and are widened one matrix at a time as each layer is quantised: no float32 copy of the model exists.
            var model = Models.Llama.LlamaFolder.Load(modelDirectory, WeightStorage.Mapped);
            modules = ModelQuantization.QuantizeAll(model);
            floatModules = "RMS norms and biases" + (config.TieWordEmbeddings ? "; the output head is tied to the int8 token embedding" : "");
            ModelFolderFiles.CopySideFiles(modelDirectory, outputDirectory, "quantize");
            Models.Llama.LlamaFolder.Save(outputDirectory, model, config with { Quantization = Entry(modules, floatModules), TorchDtype = "float32" });
        }
        else if (ModelRegistry.ModelTypeOf(modelDirectory) is Models.Bert.BertConfig.Type or Models.Bert.BertConfig.RobertaType)
        {
            var config = Models.Bert.BertFolder.ReadConfig(modelDirectory);
            RefuseQuantized(config.Quantization, modelDirectory);
            // Every Linear (attention, feed-forward, pooler, head) and the word embeddings (a third of MiniLM); the small
            // position and token-type tables stay float32.
            var (network, saved) = LoadEncoder(modelDirectory, kind, config);
            modules = ModelQuantization.QuantizeAll(network, name => !name.EndsWith("position_embeddings", StringComparison.Ordinal) && !name.EndsWith("token_type_embeddings", StringComparison.Ordinal));
            floatModules = "position and token-type embeddings, layer norms and biases";
            ModelFolderFiles.CopySideFiles(modelDirectory, outputDirectory, "quantize");
            Models.Bert.BertFolder.Save(outputDirectory, network, saved with { Quantization = Entry(modules, floatModules) });
        }
        else if (ModelRegistry.ModelTypeOf(modelDirectory) == Models.DistilBert.DistilBertConfig.Type)
        {
            var config = Models.DistilBert.DistilBertFolder.ReadConfig(modelDirectory);
            RefuseQuantized(config.Quantization, modelDirectory);
            // As BERT: every Linear and the word embeddings; the position table stays float32.
            var (network, saved) = LoadDistilBert(modelDirectory, kind, config);
            modules = ModelQuantization.QuantizeAll(network, name => !name.EndsWith("position_embeddings", StringComparison.Ordinal));
            floatModules = "position embeddings, layer norms and biases";
            ModelFolderFiles.CopySideFiles(modelDirectory, outputDirectory, "quantize");
            Models.DistilBert.DistilBertFolder.Save(outputDirectory, network, saved with { Quantization = Entry(modules, floatModules) });
        }
        else if (kind is ModelKind.Encoder or ModelKind.TextClassifier or ModelKind.TokenClassifier && ModelRegistry.ModelTypeOf(modelDirectory) != "gpt2")
        {
            throw new NotSupportedException($"quantize: '{modelDirectory}' holds a {ModelRegistry.ModelTypeOf(modelDirectory)} model; int8 quantization covers classifiers, GPT-2, the Llama family (llama, mistral, qwen2, qwen3), bart/marian/t5 and bert/roberta/distilbert encoders and classifiers");
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

    /// <summary>A BERT or RoBERTa folder as a module with the config it is saved under: a sequence or token classifier, or a bare encoder.</summary>
    private static (Sapling.NN.Module Network, Models.Bert.BertConfig Config) LoadEncoder(string directory, ModelKind kind, Models.Bert.BertConfig config) =>
        ByKind(directory, kind, config.Architectures, "bert/roberta",
            () => Pair((Models.Bert.BertTaskModel)Models.Bert.BertFolder.LoadForSequenceClassification(directory)),
            () => Pair(Models.Bert.BertFolder.LoadForTokenClassification(directory)),
            () => Pair(Models.Bert.BertFolder.Load(directory)));

    /// <summary>A DistilBERT folder as a module with the config it is saved under: a sequence or token classifier, or a bare encoder.</summary>
    private static (Sapling.NN.Module Network, Models.DistilBert.DistilBertConfig Config) LoadDistilBert(string directory, ModelKind kind, Models.DistilBert.DistilBertConfig config) =>
        ByKind(directory, kind, config.Architectures, "distilbert",
            () => Pair(Models.DistilBert.DistilBertFolder.LoadForSequenceClassification(directory)),
            () => Pair(Models.DistilBert.DistilBertFolder.LoadForTokenClassification(directory)),
            () => Pair(Models.DistilBert.DistilBertFolder.Load(directory)));

    // The network and the config it is saved under.
    private static (Sapling.NN.Module, Models.Bert.BertConfig) Pair(Models.Bert.BertModel model) => (model, model.Config);
    private static (Sapling.NN.Module, Models.Bert.BertConfig) Pair(Models.Bert.BertTaskModel model) => (model, model.Config);
    private static (Sapling.NN.Module, Models.DistilBert.DistilBertConfig) Pair(Models.DistilBert.DistilBertModel model) => (model, model.Config);
    private static (Sapling.NN.Module, Models.DistilBert.DistilBertConfig) Pair(Models.DistilBert.DistilBertTaskModel model) => (model, model.Config);

    /// <summary>The encoder folder's network by what it holds; a task model other than the two classifiers (a masked-LM) is refused.</summary>
    private static (Sapling.NN.Module Network, TConfig Config) ByKind<TConfig>(string directory, ModelKind kind, string[] architectures, string families,
        Func<(Sapling.NN.Module, TConfig)> sequenceClassifier, Func<(Sapling.NN.Module, TConfig)> tokenClassifier, Func<(Sapling.NN.Module, TConfig)> encoder)
    {
        if (kind == ModelKind.TextClassifier) return sequenceClassifier();
        if (kind == ModelKind.TokenClassifier) return tokenClassifier();
        if (architectures.Any(a => a.Contains("For", StringComparison.Ordinal)))
            throw new NotSupportedException($"quantize: '{directory}' holds a {string.Join(", ", architectures)}; {families} encoders, sequence classifiers and token classifiers are quantized");
        return encoder();
    }

    private static QuantizationConfig Entry(string[] modules, string floatModules) => new() { Modules = modules, FloatModules = floatModules };

    private static void RefuseQuantized(QuantizationConfig? existing, string directory)
    {
        if (existing != null)
            throw new InvalidDataException($"quantize: '{directory}' is already int8-quantized (its config.json has a quantization entry); quantize the float32 model instead");
    }
}
