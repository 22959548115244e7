using Sapling.IO;
using Sapling.Training.LanguageModel;

namespace Sapling.Cli.Config;

/// <summary>
/// Reads a language-model config into <see cref="LmOptions"/>: pretraining (task: language_model) or fine-tuning
/// (method: full | lora | prompt, model: the base folder).
/// </summary>
public static class LanguageModelConfig
{
    /// <summary>
    /// Binds the config and validates the options; a key it leaves out takes the record's default. Refuses unknown keys
    /// and invalid options.
    /// </summary>
    public static LmOptions Bind(ConfigTree c)
    {
        // A key the config leaves out takes the record's own default: each default is written once, in the record.
        var defaults = new LmOptions();
        var options = new LmOptions
        {
            Method = TrainingMethods.Parse(c.Get("method", defaults.Method.ConfigName())),
            InitFrom = c.Get("model.path", defaults.InitFrom),
            Lora = BindLora(c),
            VirtualTokens = c.Get("prompt.virtual_tokens", defaults.VirtualTokens),
            PromptInitText = c.Get("prompt.init_text", defaults.PromptInitText),
            LayerDecay = c.Get("train.layer_decay", defaults.LayerDecay),
            Monitor = c.Get("train.monitor", defaults.Monitor),
            Tuning = Tuning(c, defaults.Tuning),
            SourceField = c.Get("data.source_field", defaults.SourceField),
            ValidationCorpus = c.Get("data.validation_corpus", defaults.ValidationCorpus),
            TestCorpus = c.Get("data.test_corpus", defaults.TestCorpus),
            TargetField = c.Get("data.target_field", defaults.TargetField),
            LabelSmoothing = c.Get("seq2seq.label_smoothing", defaults.LabelSmoothing),
            MaxSourceLength = c.Get("seq2seq.max_source_length", defaults.MaxSourceLength),
            MaxTargetLength = c.Get("seq2seq.max_target_length", defaults.MaxTargetLength),
            NumBeams = c.Get("seq2seq.num_beams", defaults.NumBeams),
            Seq2SeqEvalSamples = c.Get("seq2seq.eval_samples", defaults.Seq2SeqEvalSamples),
            SpanNoiseDensity = c.Get("span.noise_density", defaults.SpanNoiseDensity),
            SpanMeanLength = c.Get("span.mean_noise_span_length", defaults.SpanMeanLength),
            MaskRatio = c.Get("denoise.mask_ratio", defaults.MaskRatio),
            PoissonLambda = c.Get("denoise.poisson_lambda", defaults.PoissonLambda),
            MaskRandomRatio = c.Get("denoise.random_ratio", defaults.MaskRandomRatio),
            PermuteSentences = c.Get("denoise.permute_sentences", defaults.PermuteSentences),
            TokensField = c.Get("data.tokens_field", defaults.TokensField),
            WholeWordMask = c.Get("mlm.whole_word_mask", defaults.WholeWordMask),
            TagsField = c.Get("data.tags_field", defaults.TagsField),
            LabelField = c.Get("data.label_field", defaults.LabelField),
            TestFraction = c.Get("data.test_fraction", defaults.TestFraction),
            StripHeaders = c.Get("data.strip_headers", defaults.StripHeaders),
            Pooling = c.Get("classify.pooling", defaults.Pooling),
            ClassifyLmWeight = c.Get("classify.lm_weight", defaults.ClassifyLmWeight),
            Packing = c.Get("sft.packing", defaults.Packing),
            ChatTemplate = c.Get("sft.chat_template", defaults.ChatTemplate),
            PositiveLabel = c.Get("classify.positive_label", defaults.PositiveLabel),
            DpoBeta = c.Get("dpo.beta", defaults.DpoBeta),
            Teacher = c.Get("distill.teacher", defaults.Teacher),
            DistillTemperature = c.Get("distill.temperature", defaults.DistillTemperature),
            DistillAlpha = c.Get("distill.alpha", defaults.DistillAlpha),
            Corpus = c.Get("data.corpus", defaults.Corpus),
            CorpusFormat = c.Get("data.format", defaults.CorpusFormat),
            Field = c.Get("data.field", defaults.Field),
            Tokenizer = c.Get("data.tokenizer", defaults.Tokenizer),
            VocabSize = c.Get("data.vocab_size", defaults.VocabSize),
            TrainTokens = c.Get("data.train_tokens", defaults.TrainTokens),
            ValidationTokens = c.Get("data.validation_tokens", defaults.ValidationTokens),
            TokenWidth = c.Get<string?>("data.token_dtype", null) is { } width ? TokenFile.Parse(width) : null,
            ValidationFraction = c.Get("data.validation_fraction", defaults.ValidationFraction),
            SplitSeed = c.Get("data.split_seed", defaults.SplitSeed),
            // A fine-tune's context defaults to the whole of the base model's (cut to it later).
            Context = c.Get("model.context", c.Has("model.path") ? int.MaxValue : defaults.Context),
            Architecture = c.Get("model.architecture", defaults.Architecture),
            KvHeads = c.Has("model.kv_heads") ? c.Get("model.kv_heads", 0) : null,
            Layers = c.Get("model.layers", defaults.Layers),
            Heads = c.Get("model.heads", defaults.Heads),
            Width = c.Get("model.width", defaults.Width),
            Dropout = c.Get("model.dropout", defaults.Dropout),
            GradientCheckpointing = c.Get("train.gradient_checkpointing", defaults.GradientCheckpointing),
            Steps = c.Get("train.steps", defaults.Steps),
            BatchSize = c.Get("train.batch_size", defaults.BatchSize),
            LearningRate = c.Get("train.lr", defaults.LearningRate),
            MinLearningRateRatio = c.Get("train.min_lr_ratio", defaults.MinLearningRateRatio),
            WarmupSteps = c.Get("train.warmup_steps", defaults.WarmupSteps),
            WeightDecay = c.Get("train.weight_decay", defaults.WeightDecay),
            GradClip = c.Get("train.grad_clip", defaults.GradClip),
            EvalInterval = c.Get("train.eval_interval", defaults.EvalInterval),
            EvalBatches = c.Get("train.eval_batches", defaults.EvalBatches),
            SampleTokens = c.Get("train.sample_tokens", defaults.SampleTokens),
            Seed = c.Get("train.seed", defaults.Seed),
        };
        c.Get("task", "language_model");
        c.RejectUnknownKeys();
        c.NameOption(nameof(LmOptions.Method), "method");
        c.NameOption(nameof(LmOptions.KvHeads), "model.kv_heads");
        using (OptionNames.Use(c.OptionName)) options.Validate();
        return options;
    }

    /// <summary>
    /// Which weights a dpo, sft, classify, token_classify or seq2seq run trains: the &lt;method&gt;.tuning key (full, lora or
    /// prompt; what each method accepts of them is checked when the options are validated).
    /// </summary>
    private static TrainingMethod Tuning(ConfigTree c, TrainingMethod fallback)
    {
        foreach (var key in new[] { "sft.tuning", "dpo.tuning", "classify.tuning", "token_classify.tuning", "seq2seq.tuning" })
        {
            if (!c.Has(key)) continue;
            c.NameOption(nameof(LmOptions.Tuning), key);
            string name = c.Get(key, fallback.ConfigName());
            return name switch
            {
                "full" => TrainingMethod.Full,
                "lora" => TrainingMethod.Lora,
                "prompt" => TrainingMethod.Prompt,
                _ => throw new ArgumentException($"{key} must be full, lora or prompt, got '{name}'"),
            };
        }
        return fallback;
    }

    /// <summary>lora.target_modules is a list of layer names or one string (names joined by "|", or a regex).</summary>
    private static NN.Adapters.LoraConfig BindLora(ConfigTree c)
    {
        var defaults = new LmOptions();
        var config = defaults.Lora with
        {
            Rank = c.Get("lora.r", defaults.Lora.Rank),
            Alpha = c.Get("lora.alpha", defaults.Lora.Alpha),
            Dropout = c.Get("lora.dropout", defaults.Lora.Dropout),
        };
        c.NameOption("Lora.TargetModules", "lora.target_modules");
        // Without target modules the run adapts the family's usual layers (GPT-2's c_attn and c_proj, the Llama family's attention projections).
        if (!c.Has("lora.target_modules")) return config;
        try
        {
            return config with { TargetModules = c.Get<string[]>("lora.target_modules", []) };
        }
        catch (InvalidDataException)
        {
            return NN.Adapters.LoraConfig.WithTargets(config, c.Get("lora.target_modules", "c_attn|c_proj"));
        }
    }
}
