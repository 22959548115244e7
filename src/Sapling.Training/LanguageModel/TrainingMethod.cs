
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

/// <summary>The config names of <see cref="TrainingMethod"/> (pretrain, full, ..., token_classify, seq2seq).</summary>
public static class TrainingMethods
{
    /// <summary>The method's name in configs and messages.</summary>
    public static string ConfigName(this TrainingMethod method) => method switch
    {
        TrainingMethod.TokenClassify => "token_classify",
        TrainingMethod.Seq2Seq => "seq2seq",
        _ => method.ToString().ToLowerInvariant(),
    };

    /// <summary>Every method's config name, in order.</summary>
    public static IReadOnlyList<string> Names { get; } = Enum.GetValues<TrainingMethod>().Select(m => m.ConfigName()).ToArray();

    /// <summary>The method a config names; an unknown name is refused with the known ones listed.</summary>
    public static TrainingMethod Parse(string name)
    {
        foreach (var method in Enum.GetValues<TrainingMethod>())
            if (method.ConfigName() == name) return method;
        throw new ArgumentException($"method '{name}' is not one of {string.Join(", ", Names)}");
    }
}
