using Sapling.Cli.Config;
using Sapling.Inference.Compression;
using Sapling.Models.Classifiers;
using Sapling.Models.Gpt;
using Sapling.Optim;
using Sapling.Data.Text;
using Sapling.Training;
using Sapling.Training.Classification;
using Sapling.Training.LanguageModel;
using Sapling.Training.Guards;

namespace Sapling.Cli.Commands;

/// <summary>
/// A short fine-tune after pruning, on the data of the model's training config: AdamW at a constant learning rate
/// for a fixed number of steps. With masks (unstructured pruning) the pruned weights are zeroed after every step, so
/// the sparsity the user asked for is what gets saved.
/// </summary>
internal static class PruneFinetune
{
    public static void Classifier(IClassifier classifier, string configPath, int steps, double lr, IReadOnlyDictionary<string, Tensor>? masks)
    {
        var (data, _, train) = ClassificationConfig.Bind(ConfigTree.Load(configPath));
        var split = ClassificationData.Load(data, classifier.Config.Normalization);
        var model = classifier.Module;
        var rng = new Random((int)train.Seed);
        int batch = Math.Min(train.BatchSize, split.Train.Count);
        var indices = new long[batch];
        model.Train();
        var recipe = new FixedStepsRecipe(model, steps, _ =>
        {
            for (int j = 0; j < batch; j++) indices[j] = rng.Next(split.Train.Count);
            var (x, y) = split.Train.GetBatch(indices);
            return Tensor.CrossEntropy(model.Forward(x), y);
        }) { AfterStep = masks == null ? null : () => MagnitudePruning.ApplyMasks(model, masks) };
        var outcome = new Trainer(recipe, new AdamW(model.Parameters(), lr: lr, weightDecay: 0)).Fit();
        // A non-finite gradient stops the fine-tune before it reaches the weights, and nothing is saved.
        if (outcome.Diverged) throw Diverged(outcome.State.GlobalStep);
        model.Eval();
    }

    private static TrainingDivergedException Diverged(long step) =>
        new($"prune --finetune-steps: training diverged at step {step + 1} (a non-finite gradient); the pruned model was not saved; lower --finetune-lr");

    public static void LanguageModel(GptModel model, string modelDirectory, string configPath, int steps, double lr, IReadOnlyDictionary<string, Tensor>? masks)
    {
        // The options the model was trained with (read as training read them), so the fine-tune sees the same data.
        var config = ConfigTree.Load(configPath);
        DistributedConfig.Bind(config);
        var options = LanguageModelConfig.Bind(config);
        var tokenizerPath = Path.Combine(modelDirectory, "tokenizer.json");
        if (!File.Exists(tokenizerPath)) throw new FileNotFoundException($"prune --finetune-steps: '{modelDirectory}' has no tokenizer.json to tokenise the training text", tokenizerPath);
        var tokenizer = Tokenizers.Load(tokenizerPath);
        var documents = DocumentSource.Read(options.Corpus ?? LmTrainer.DefaultCorpusPath, options.CorpusFormat, options.Field).ToList();
        // The same split by document as training, so the fine-tune never sees the validation text.
        var data = new TokenData(documents.Select(d => tokenizer.Encode(d.Trim('\n'))).ToList(), tokenizer.EndOfTextId, options.ValidationFraction, options.SplitSeed);
        int batch = options.BatchSize, context = model.Config.NPositions;
        ulong seed = options.Seed;
        model.Train();
        var recipe = new FixedStepsRecipe(model, steps, i =>
        {
            var (x, y) = data.TrainBatch(batch, context, seed + 1, i);
            return Tensor.CrossEntropy(model.Forward(x).Reshape(-1, model.Config.VocabSize), y.Reshape(-1));
        }) { AfterStep = masks == null ? null : () => MagnitudePruning.ApplyMasks(model, masks) };
        var outcome = new Trainer(recipe, new AdamW(model.Parameters(), lr: lr, weightDecay: 0)) { GradClip = 1f }.Fit();
        if (outcome.Diverged) throw Diverged(outcome.State.GlobalStep);
        model.Eval();
    }
}
