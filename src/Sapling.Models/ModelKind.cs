namespace Sapling.Models;

/// <summary>What a model folder holds, as its config.json says.</summary>
public enum ModelKind
{
    /// <summary>An image or table classifier (MLP, CNN, Sapling's ResNet, a torchvision-layout ResNet).</summary>
    Classifier,

    /// <summary>A GPT-2-style language model (model_type gpt2).</summary>
    LanguageModel,

    /// <summary>A sequence classifier (architectures GPT2ForSequenceClassification or BertForSequenceClassification).</summary>
    TextClassifier,

    /// <summary>A token classifier (architectures BertForTokenClassification or RobertaForTokenClassification): a tag per word.</summary>
    TokenClassifier,

    /// <summary>A text encoder (model_type bert): token embeddings and a pooled vector, run with <c>sapling run</c>.</summary>
    Encoder,

    /// <summary>An encoder-decoder that writes a target for a source (model_type bart, marian, t5): translation.</summary>
    Seq2SeqLM,

    /// <summary>An imported ONNX graph run by Sapling's ONNX interpreter (model_type onnx).</summary>
    OnnxGraph,
}
