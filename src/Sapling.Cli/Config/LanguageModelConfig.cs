using Sapling.Training;

namespace Sapling.Cli.Config;

/// <summary>
/// Reads a language-model config into <see cref="LmOptions"/>: pretraining (task: language_model) or fine-tuning
/// (method: full | lora | prompt, model: the base folder).
/// </summary>
public static class LanguageModelConfig
{
    public static LmOptions Bind(ConfigTree c)
    {
        var options = new LmOptions
        {
            Method = c.Get("method", "pretrain"),
            InitFrom = c.Get<string?>("model.path", null),
            Lora = BindLora(c),
            VirtualTokens = c.Get("prompt.virtual_tokens", 20),
            PromptInitText = c.Get<string?>("prompt.init_text", null),
            LayerDecay = c.Get("train.layer_decay", 1.0),
            Monitor = c.Get("train.monitor", "val_loss"),
            Tuning = c.Get("sft.tuning", c.Get("dpo.tuning", c.Get("classify.tuning", c.Get("token_classify.tuning", c.Get("seq2seq.tuning", "full"))))),
            SourceField = c.Get("data.source_field", "source"),
            ValidationCorpus = c.Get<string?>("data.validation_corpus", null),
            TestCorpus = c.Get<string?>("data.test_corpus", null),
            TargetField = c.Get("data.target_field", "target"),
            LabelSmoothing = c.Get("seq2seq.label_smoothing", 0.1f),
            MaxSourceLength = c.Get("seq2seq.max_source_length", 128),
            MaxTargetLength = c.Get("seq2seq.max_target_length", 128),
            NumBeams = c.Get("seq2seq.num_beams", 4),
            Seq2SeqEvalSamples = c.Get("seq2seq.eval_samples", 200),
            SpanNoiseDensity = c.Get("span.noise_density", 0.15),
            SpanMeanLength = c.Get("span.mean_noise_span_length", 3.0),
            TokensField = c.Get("data.tokens_field", "tokens"),
            WholeWordMask = c.Get("mlm.whole_word_mask", false),
            TagsField = c.Get("data.tags_field", "tags"),
            LabelField = c.Get("data.label_field", "label"),
            TestFraction = c.Get("data.test_fraction", 0.1),
            StripHeaders = c.Get("data.strip_headers", false),
            Pooling = c.Get("classify.pooling", "last"),
            ClassifyLmWeight = c.Get("classify.lm_weight", 0f),
            Packing = c.Get("sft.packing", false),
            ChatTemplate = c.Get<string?>("sft.chat_template", null),
            PositiveLabel = c.Get<string?>("classify.positive_label", null),
            DpoBeta = c.Get("dpo.beta", 0.1f),
            Teacher = c.Get<string?>("distill.teacher", null),
            DistillTemperature = c.Get("distill.temperature", 2f),
            DistillAlpha = c.Get("distill.alpha", 0.5f),
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
            Context = c.Get("model.context", c.Has("model.path") ? int.MaxValue : 64),
            Architecture = c.Get("model.architecture", "gpt2"),
            KvHeads = c.Has("model.kv_heads") ? c.Get("model.kv_heads", 0) : null,
            Layers = c.Get("model.layers", 4),
            Heads = c.Get("model.heads", 4),
            Width = c.Get("model.width", 128),
            Dropout = c.Get("model.dropout", 0.1f),
            GradientCheckpointing = c.Get("train.gradient_checkpointing", false),
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

    /// <summary>lora.target_modules is a list of layer names or one string (names joined by "|", or a regex).</summary>
    private static NN.LoraConfig BindLora(ConfigTree c)
    {
        var config = new NN.LoraConfig
        {
            Rank = c.Get("lora.r", 8),
            Alpha = c.Get("lora.alpha", 16f),
            Dropout = c.Get("lora.dropout", 0.05f),
        };
        // Without target modules the run adapts the family's usual layers (GPT-2's c_attn and c_proj, the Llama family's attention projections).
        if (!c.Has("lora.target_modules")) return config with { TargetModules = [] };
        try
        {
            return config with { TargetModules = c.Get<string[]>("lora.target_modules", []) };
        }
        catch (InvalidDataException)
        {
            return NN.LoraConfig.WithTargets(config, c.Get("lora.target_modules", "c_attn|c_proj"));
        }
    }
}
