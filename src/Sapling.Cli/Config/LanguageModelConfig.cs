using Sapling.Training;

namespace Sapling.Cli.Config;

/// <summary>Reads a language-model config (task: language_model) into <see cref="LmOptions"/>.</summary>
public static class LanguageModelConfig
{
    public static LmOptions Bind(ConfigTree c)
    {
        var options = new LmOptions
        {
            Corpus = c.Get<string?>("data.corpus", null),
            CorpusFormat = c.Get("data.format", "auto"),
            Field = c.Get("data.field", "text"),
            Tokenizer = c.Get("data.tokenizer", "char"),
            VocabSize = c.Get("data.vocab_size", 4096),
            TrainTokens = c.Get<string?>("data.train_tokens", null),
            ValidationTokens = c.Get<string?>("data.validation_tokens", null),
            TokenWidth = c.Get<string?>("data.token_dtype", null) is { } width ? TokenFile.Parse(width) : null,
            ValidationFraction = c.Get("data.validation_fraction", 0.1),
            SplitSeed = c.Get("data.split_seed", 0UL),
            Context = c.Get("model.context", 64),
            Layers = c.Get("model.layers", 4),
            Heads = c.Get("model.heads", 4),
            Width = c.Get("model.width", 128),
            Dropout = c.Get("model.dropout", 0.1f),
            Steps = c.Get("train.steps", 2000),
            BatchSize = c.Get("train.batch_size", 16),
            LearningRate = c.Get("train.lr", 3e-3),
            MinLearningRateRatio = c.Get("train.min_lr_ratio", 0.1),
            WarmupSteps = c.Get("train.warmup_steps", 100),
            WeightDecay = c.Get("train.weight_decay", 0.1),
            GradClip = c.Get("train.grad_clip", 1f),
            EvalInterval = c.Get("train.eval_interval", 250),
            EvalBatches = c.Get("train.eval_batches", 20),
            SampleTokens = c.Get("train.sample_tokens", 64),
            Seed = c.Get("train.seed", 0UL),
        };
        c.Get("task", "language_model");
        c.RejectUnknownKeys();
        return options;
    }
}
