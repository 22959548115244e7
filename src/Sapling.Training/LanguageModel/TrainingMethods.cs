namespace Sapling.Training.LanguageModel;

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
