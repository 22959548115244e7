
namespace Sapling.Training.LanguageModel;

/// <summary>What a language-model run does (the config's <c>method</c>).</summary>
public enum TrainingMethod
{
    /// <summary>A new model from random weights (next-token, masked-LM or span-corruption pre-training).</summary>
    Pretrain,
    /// <summary>Every weight of a model folder, on raw text.</summary>
    Full,
    /// <summary>LoRA adapters on a frozen model folder, on raw text.</summary>
    Lora,
    /// <summary>Prompt tuning: trained virtual tokens before a frozen model.</summary>
    Prompt,
    /// <summary>Supervised instruction tuning on conversations, through a chat template.</summary>
    Sft,
    /// <summary>A new student taught by a teacher's softened predictions.</summary>
    Distill,
    /// <summary>Direct preference optimisation on {prompt, chosen, rejected}.</summary>
    Dpo,
    /// <summary>Sequence classification: a score head on a model folder.</summary>
    Classify,
    /// <summary>Token classification (tagging): a head over every token.</summary>
    TokenClassify,
    /// <summary>Encoder-decoder training on source/target pairs.</summary>
    Seq2Seq,
}
