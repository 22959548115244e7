using Sapling.Cli.Config;
using Sapling.Models.Classifiers;
using Sapling.Models.Gpt;
using Sapling.Data.Text;
using Sapling.Training.Classification;
using Sapling.Training.LanguageModel;

namespace Sapling.Cli.Bench;

/// <summary>
/// Quality of a model folder on the held-out split its training config defines (the same seeds and fractions, so the
/// same examples training held out): a classifier's test accuracy, a GPT's validation perplexity.
/// </summary>
internal static class ModelQuality
{
    public static double TestAccuracy(IClassifier classifier, string configPath)
    {
        var (data, _, _) = ClassificationConfig.Bind(ConfigTree.Load(configPath));
        var split = ClassificationData.Load(data, classifier.Config.Normalization);
        return ClassificationTrainer.Evaluate(classifier.Module, split.Test).Accuracy;
    }

    /// <summary>exp(mean next-token loss) over consecutive full-context windows of the validation documents.</summary>
    public static double ValidationPerplexity(GptModel model, string directory, string configPath)
    {
        var config = ConfigTree.Load(configPath);
        var tokenizer = Tokenizers.Load(Path.Combine(directory, "tokenizer.json"));
        var corpus = config.Get<string?>("data.corpus", null) ?? LmTrainer.DefaultCorpusPath;
        var documents = DocumentSource.Read(corpus, config.Get("data.format", "auto"), config.Get("data.field", "text")).ToList();
        var data = new TokenData(documents.Select(d => tokenizer.Encode(d.Trim('\n'))).ToList(), tokenizer.EndOfTextId,
            config.Get("data.validation_fraction", 0.1), config.Get("data.split_seed", 0UL));
        var tokens = Array.ConvertAll(data.Validation, t => (long)t);
        return Inference.Perplexity.Windowed(model, tokens, model.Config.NPositions).Value;
    }
}
