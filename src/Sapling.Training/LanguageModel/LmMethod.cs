using Sapling.Models;
using Sapling.Models.Adapters;
using Sapling.Models.Gpt;
using Sapling.Optim;
using Sapling.Data.Text;
using Sapling.Training.Runs;
using Sapling.NN.Adapters;

namespace Sapling.Training.LanguageModel;

/// <summary>
/// How a language-model run trains and what it leaves: pre-training and full fine-tuning move every weight and save a
/// model folder; LoRA trains low-rank adapters on a frozen model and saves the adapter (PEFT format) plus the merged
/// model; prompt tuning trains virtual-token embeddings and saves only the adapter.
/// </summary>
public abstract class LmMethod
{
    /// <summary>The method for the options' adaptation: full (also for pre-training), LoRA or prompt tuning.</summary>
    public static LmMethod For(LmOptions options) => options.Adaptation switch
    {
        TrainingMethod.Pretrain or TrainingMethod.Full => new FullMethod(options),
        TrainingMethod.Lora => new LoraMethod(options),
        TrainingMethod.Prompt => new PromptMethod(options),
        var other => throw new ArgumentException($"tuning '{other.ConfigName()}' is not one of full, lora, prompt"),
    };

    /// <summary>
    /// Creates the method for <paramref name="options"/>, resolving the chat template a saved model carries.
    /// </summary>
    protected LmMethod(LmOptions options)
    {
        Options = options;
        RunChatTemplate = ChatTemplateFor(options);
    }

    /// <summary>The run's options.</summary>
    protected LmOptions Options { get; }

    /// <summary>Adds what trains (adapters, virtual tokens) and freezes the rest.</summary>
    public abstract void Prepare(ITrainableModel model, ITokenizer tokenizer, Generator generator);

    /// <summary>Parameter groups: weight decay on matrices only, and for full fine-tuning an optional layer-wise decay
    /// of the learning rate from the top block down (lr·decay^(depth from the top)).</summary>
    public virtual List<ParamGroup> ParameterGroups(ITrainableModel model)
    {
        var groups = new List<ParamGroup>();
        int layers = model.NumLayers;
        foreach (var byDepth in model.Network.NamedParameters().Where(p => p.Parameter.RequiresGrad).GroupBy(p => Depth(p.Name, layers)).OrderBy(g => g.Key))
        {
            double? lr = Options.LayerDecay == 1 ? null : Options.LearningRate * Math.Pow(Options.LayerDecay, layers + 1 - byDepth.Key);
            var matrices = byDepth.Where(p => p.Parameter.Rank >= 2).Select(p => p.Parameter).ToList();
            var others = byDepth.Where(p => p.Parameter.Rank < 2).Select(p => p.Parameter).ToList();
            if (matrices.Count > 0) groups.Add(new ParamGroup(matrices, lr, Options.WeightDecay));
            if (others.Count > 0) groups.Add(new ParamGroup(others, lr, 0));
        }
        if (groups.Count == 0) throw new InvalidOperationException("nothing to train: every parameter is frozen");
        return groups;
    }

    /// <summary>0 for the embeddings, i + 1 for block i (GPT-2's h.i, the Llama family's model.layers.i, BERT's
    /// bert.encoder.layer.i), layers + 1 for the final norm, the pooler, heads and anything above.</summary>
    private static int Depth(string name, int layers)
    {
        if (name.StartsWith("wte.", StringComparison.Ordinal) || name.StartsWith("wpe.", StringComparison.Ordinal) || name.StartsWith("model.embed_tokens.", StringComparison.Ordinal)
            || name.StartsWith("bert.embeddings.", StringComparison.Ordinal)) return 0;
        foreach (var prefix in new[] { "h.", "model.layers.", "bert.encoder.layer." })
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            int dot = name.IndexOf('.', prefix.Length);
            if (dot > prefix.Length && int.TryParse(name.AsSpan(prefix.Length, dot - prefix.Length), out int block)) return block + 1;
        }
        return layers + 1;
    }

    /// <summary>Saves what this method trained (the best-so-far copy or the final one).</summary>
    public abstract void Save(string directory, ITrainableModel model, ITokenizer tokenizer);

    /// <summary>The model as it was when <see cref="Save"/> wrote <paramref name="directory"/>.</summary>
    public abstract ITrainableModel Load(string directory);

    /// <summary>Writes the run's outputs; returns the model folder and, for adapters, the adapter folder.</summary>
    public abstract (string ModelDirectory, string? AdapterDirectory) Finish(RunFolder run, ITrainableModel model, ITokenizer tokenizer);

    /// <summary>A model folder: weights, tokenizer and, for a chat model, its chat template (tokenizer_config.json).</summary>
    public static void SaveModel(string directory, ITrainableModel model, ITokenizer tokenizer, ChatTemplate? chatTemplate)
    {
        model.Save(directory);
        tokenizer.Save(Path.Combine(directory, "tokenizer.json"));
        chatTemplate?.Save(directory);
    }

    /// <summary>
    /// The chat template a run's model folder carries: for sft the configured one (sft.chat_template), else the one the
    /// starting folder declares, else ChatML; for other methods the starting folder's, so fine-tuning a chat model
    /// keeps it chatting; none for a model trained from scratch.
    /// </summary>
    public static ChatTemplate? ChatTemplateFor(LmOptions options)
    {
        if (options.ChatTemplate != null) return ChatTemplate.Named(options.ChatTemplate);
        var declared = options.InitFrom != null ? ChatTemplate.Load(options.InitFrom) : null;
        return declared ?? (options.Method == TrainingMethod.Sft ? ChatTemplate.ChatMl : null);
    }

    /// <summary>The template <see cref="SaveModel"/> writes for this run, resolved before training so that a template
    /// Sapling cannot render stops the run at once rather than at its first save.</summary>
    protected ChatTemplate? RunChatTemplate { get; }

    private sealed class FullMethod(LmOptions options) : LmMethod(options)
    {
        public override void Prepare(ITrainableModel model, ITokenizer tokenizer, Generator generator) { }

        public override void Save(string directory, ITrainableModel model, ITokenizer tokenizer) => SaveModel(directory, model, tokenizer, RunChatTemplate);

        public override ITrainableModel Load(string directory) => ModelRegistry.LoadTrainable(directory);

        public override (string, string?) Finish(RunFolder run, ITrainableModel model, ITokenizer tokenizer)
        {
            SaveModel(run.ModelDirectory, model, tokenizer, RunChatTemplate);
            return (run.ModelDirectory, null);
        }
    }

    private sealed class LoraMethod(LmOptions options) : LmMethod(options)
    {
        private string BaseModel => Options.InitFrom ?? throw new ArgumentException($"{OptionNames.Of(nameof(LmOptions.Method))} lora needs a base model ({OptionNames.Of(nameof(LmOptions.InitFrom))})");

        private NN.Adapters.LoraConfig? lora;

        /// <summary>The configured adapter, on the family's default layers when the config names none.</summary>
        private NN.Adapters.LoraConfig Config(ITrainableModel model) => lora ??= Options.Lora.TargetModules.Count == 0 && Options.Lora.TargetRegex == null
            ? Options.Lora with { TargetModules = PeftAdapter.DefaultLoraTargets(model) }
            : Options.Lora;

        public override void Prepare(ITrainableModel model, ITokenizer tokenizer, Generator generator) => Lora.Apply(model.Network, Config(model), generator);

        /// <summary>PEFT's layout: CAUSAL_LM (and GPT-2's SEQ_CLS) for decoders, SEQ_2_SEQ_LM for encoder-decoders, SEQ_CLS or
        /// TOKEN_CLS with the head in modules_to_save for encoders.</summary>
        public override void Save(string directory, ITrainableModel model, ITokenizer tokenizer)
        {
            if (model is ICausalLM decoder) PeftAdapter.SaveLora(directory, decoder, Config(model), Path.GetFullPath(BaseModel));
            else if (model is ISeq2SeqLM encoderDecoder) PeftAdapter.SaveSeq2SeqLora(directory, encoderDecoder, Config(model), Path.GetFullPath(BaseModel));
            else PeftAdapter.SaveEncoderLora(directory, model, Config(model), Path.GetFullPath(BaseModel));
        }

        public override ITrainableModel Load(string directory)
        {
            if (Models.Gguf.GgufModel.IsGgufPath(BaseModel)) return PeftAdapter.LoadLanguageModel(BaseModel, directory);
            var family = ModelRegistry.Find(ModelRegistry.ModelTypeOf(BaseModel) ?? "");
            if (family?.LoadSeq2SeqLM != null) return PeftAdapter.LoadSeq2SeqLM(BaseModel, directory);
            return family?.LoadLanguageModel == null ? PeftAdapter.LoadEncoderClassifier(BaseModel, directory) : PeftAdapter.LoadLanguageModel(BaseModel, directory);
        }

        /// <summary>The adapter in run/adapter, and the merged weights in run/model for serving without Sapling's adapters.</summary>
        public override (string, string?) Finish(RunFolder run, ITrainableModel model, ITokenizer tokenizer)
        {
            string adapter = Path.Combine(run.Root, "adapter");
            Save(adapter, model, tokenizer);
            // The base may be mapped read-only: the merged weights are made on a float32 copy with the saved adapter.
            var merged = Load(adapter);
            Lora.MergeAndUnload(merged.Network);
            SaveModel(run.ModelDirectory, merged, tokenizer, RunChatTemplate);
            return (run.ModelDirectory, adapter);
        }
    }

    private sealed class PromptMethod(LmOptions options) : LmMethod(options)
    {
        private string BaseModel => Options.InitFrom ?? throw new ArgumentException($"{OptionNames.Of(nameof(LmOptions.Method))} prompt needs a base model ({OptionNames.Of(nameof(LmOptions.InitFrom))})");

        /// <summary>Virtual tokens start as the embeddings of a text's tokens (repeated to length) or, without one, of random vocabulary entries, as PEFT does.</summary>
        public override void Prepare(ITrainableModel trainable, ITokenizer tokenizer, Generator generator)
        {
            var model = trainable as GptModel ?? throw new NotSupportedException($"method prompt (prompt tuning) trains gpt2 models so far, not model_type '{trainable.ModelType}'; use lora");
            foreach (var p in model.Parameters()) p.RequiresGrad = false;
            int n = Options.VirtualTokens;
            var ids = new long[n];
            var text = Options.PromptInitText is { Length: > 0 } s ? tokenizer.Encode(s) : [];
            for (int i = 0; i < n; i++) ids[i] = text.Length > 0 ? text[i % text.Length] : generator.NextInt64(0, model.Config.VocabSize);
            Tensor init;
            using (Autograd.NoGrad.Enter()) init = model.Wte.Weight.IndexSelect(0, Tensor.FromArray(ids, n)).Contiguous();
            model.AddPromptTuning(init);
        }

        public override void Save(string directory, ITrainableModel model, ITokenizer tokenizer) => PeftAdapter.SavePromptTuning(directory, (GptModel)model, Path.GetFullPath(BaseModel), Options.PromptInitText);

        public override ITrainableModel Load(string directory) => PeftAdapter.LoadModel(BaseModel, directory);

        public override (string, string?) Finish(RunFolder run, ITrainableModel model, ITokenizer tokenizer)
        {
            string adapter = Path.Combine(run.Root, "adapter");
            Save(adapter, model, tokenizer);
            return (BaseModel, adapter);
        }
    }
}
