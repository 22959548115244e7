using System.Text.Json;
using Sapling.Data;
using Sapling.Distributed;
using Sapling.IO;
using Sapling.Models;
using Sapling.Models.Bert;
using Sapling.Models.Gpt;
using Sapling.Models.Llama;
using Sapling.Optim;
using Sapling.Data.Text;
using Sapling.Training.Plots;
using Sapling.Training.LanguageModel.Objectives;
using Sapling.Training.Runs;
using Sapling.Training.Progress;
using Sapling.Training.Guards;

namespace Sapling.Training.LanguageModel;

/// <summary>
/// Trains a GPT on raw text by next-token prediction, from scratch (a tokenizer learnt from the corpus) or from a model
/// folder by one of the fine-tuning methods (<see cref="LmMethod"/>): a split by document, random context windows,
/// AdamW with weight decay on matrices only, warm-up then cosine decay, gradient clipping, periodic validation
/// loss/perplexity with a sample generation in the log, resumable checkpoints, and a model or adapter folder at the end.
/// </summary>
public sealed class LmTrainer(LmOptions options, IProgressReporter? progress = null)
{
    private readonly IProgressReporter reporter = progress ?? new ConsoleProgress();

    /// <summary>
    /// The processes training this model together (data parallelism over the rows of every batch; next-token
    /// objectives only). Only rank 0 reports and writes the run folder; the default group of one trains alone.
    /// </summary>
    public IProcessGroup ProcessGroup { get; init; } = SingleProcessGroup.Instance;

    /// <summary>
    /// How gradients are synchronised across <see cref="ProcessGroup"/>'s ranks (bucket size, overlap, drills).
    /// </summary>
    public DataParallelOptions Parallelism { get; init; } = new();

    private IProgressReporter progress => ProcessGroup.Rank == 0 ? reporter : SilentProgress.Instance;

    private bool IsWriter => ProcessGroup.Rank == 0;

    /// <summary>The embedded Tang poems shipped beside the program.</summary>
    public static string DefaultCorpusPath => Path.Combine(AppContext.BaseDirectory, "data", "zh-tang300.txt");

    /// <summary>
    /// Trains as the options say into the run folder <paramref name="runDirectory"/> and writes the model (or adapter)
    /// folder. <paramref name="resumeFrom"/> (a run folder, its checkpoints folder or one checkpoint) continues an
    /// interrupted run; <paramref name="resolvedConfigYaml"/>, when given, is saved as the run's config.yaml.
    /// </summary>
    public LmResult Run(string runDirectory, string? resumeFrom = null, string? resolvedConfigYaml = null)
    {
        options.Validate();
        Parallelism.Validate();
        var group = ProcessGroup;
        if (group.Size > 1 && (options.Method is TrainingMethod.Classify or TrainingMethod.TokenClassify or TrainingMethod.Sft or TrainingMethod.Dpo || options.Teacher != null))
            throw new ArgumentException($"data-parallel training (mpirun, --nproc) supports next-token objectives (pretraining, fine-tuning on raw text); method {options.Method.ConfigName()}{(options.Teacher != null ? " with a teacher" : "")} must run in one process");
        if (group.Size > options.BatchSize) throw new ArgumentException($"{OptionNames.Of(nameof(LmOptions.BatchSize))} {options.BatchSize} is smaller than the {group.Size} ranks: every rank needs at least one row of each batch");
        var run = new RunFolder(runDirectory, create: IsWriter);
        if (resolvedConfigYaml != null && IsWriter) File.WriteAllText(run.ConfigPath, resolvedConfigYaml);
        var (tokenizer, model, objective, baseValidation) = Setup(run);
        double baseLoss = baseValidation?.Loss ?? double.NaN;
        var method = LmMethod.For(options);
        double baseline = objective.BaselineLoss ?? double.NaN;
        method.Prepare(model, tokenizer, new Generator(options.Seed + 2));
        // A new classification head always trains, whatever the body does (PEFT's modules_to_save: ["score"]).
        if (model is ISequenceClassifier { Labels.Length: >= 2 } classifier)
            foreach (var p in classifier.Head.Parameters()) p.RequiresGrad = true;
        var network = model.Network;
        model.GradientCheckpointing = options.GradientCheckpointing;
        progress.Message($"{model.ModelType}: {network.ParameterCount():N0} parameters; vocabulary {tokenizer.VocabSize} tokens; {objective.Describe()}");
        if (options.Method != TrainingMethod.Pretrain) progress.Message(NN.Adapters.Lora.TrainableSummary(network));

        // Weight decay applies to matrices (projections, embeddings), not to biases and layer-norm gains.
        var optimizer = new AdamW(method.ParameterGroups(model), lr: options.LearningRate, beta1: 0.9, beta2: 0.95);
        var schedule = new CosineWithWarmup(optimizer, Math.Min(options.WarmupSteps, options.Steps), options.Steps, options.MinLearningRateRatio);
        var recipe = new LmRecipe(options, model, objective, tokenizer, method, optimizer) { ProcessGroup = group, Progress = progress, Run = IsWriter ? run : null };
        long trainableParameters = network.ParameterCount(trainableOnly: true), allParameters = network.ParameterCount();
        progress.StepsStarted(options.Steps, "tokens");
        var outcome = new Trainer(recipe, optimizer)
        {
            GradClip = options.GradClip, StepSchedule = schedule, Schedule = schedule,
            LowerIsBetter = recipe.LowerIsBetter, Monitor = options.Monitor,
            ProcessGroup = group, Parallelism = Parallelism, Progress = progress, Run = run,
        }.Fit(resumeFrom);
        var state = outcome.State;
        bool diverged = outcome.Diverged;
        var samples = recipe.Samples;
        double valLoss = recipe.LastValidation.Loss;
        var lastMetrics = recipe.LastValidation.Metrics;
        long tokensSeen = recipe.TokensSeen;
        var clock = recipe.Clock;

        // Ranks other than 0 hold the same weights but write nothing: the run folder and the final model are rank 0's.
        if (!IsWriter) return new LmResult(run.Root, run.ModelDirectory, valLoss, baseline, tokensSeen / Math.Max(clock.Elapsed.TotalSeconds, 1e-9), samples) { Diverged = diverged };
        if (diverged || !network.Parameters().All(p => p.AllFinite()))
        {
            // Never the diverged weights: the best model kept at an evaluation, or none at all.
            if (!Directory.Exists(run.BestModelDirectory))
            {
                IO.AtomicFile.Write(run.ResultsPath, s => JsonSerializer.Serialize(s, new Dictionary<string, object?> { ["diverged"] = true, ["model"] = null, ["steps"] = state.GlobalStep }, JsonNumbers.Indented));
                throw new TrainingDivergedException($"training diverged before any evaluation kept a finite model; no model was saved in {run.Root} (metrics.jsonl and train.log show the losses); lower {OptionNames.Of(nameof(LmOptions.LearningRate))} or set {OptionNames.Of(nameof(LmOptions.GradClip))}");
            }
            diverged = true;
            model = method.Load(run.BestModelDirectory);
            var kept = objective.Validate(model);
            (valLoss, lastMetrics) = (kept.Loss, kept.Metrics);
            progress.Message($"the final model is the one from step {state.BestEpoch} ({options.Monitor} {state.BestMetric:F3}), the best before training diverged");
        }
        else if (double.IsNaN(valLoss))
        {
            var last = objective.Validate(model);
            valLoss = last.Loss;
            lastMetrics = last.Metrics;
        }
        double lastMonitored = recipe.Monitored(new LmValidation(valLoss, lastMetrics));
        if (!diverged && Directory.Exists(run.BestModelDirectory) && BestMetric.KeepsBest(state.BestMetric, lastMonitored, recipe.LowerIsBetter))
        {
            progress.Message($"the final model is the one from step {state.BestEpoch} ({options.Monitor} {state.BestMetric:F3}; the last step had {lastMonitored:F3})");
            model = method.Load(run.BestModelDirectory);
            var best = objective.Validate(model);
            valLoss = best.Loss;
            lastMetrics = best.Metrics;
        }
        var (modelDirectory, adapterDirectory) = method.Finish(run, model, tokenizer);
        var finalReport = new Dictionary<string, object?>();
        objective.Report(model, run, finalReport);
        var plot = new LinePlot { Title = "Language model", XLabel = "step" };
        var panel = plot.AddPanel("loss");
        panel.Add("train loss", recipe.EvalSteps, recipe.TrainCurve);
        panel.Add("validation loss", recipe.EvalSteps, recipe.ValidationCurve);
        if (!double.IsNaN(baseline)) panel.Add(objective.BaselineName, recipe.EvalSteps, recipe.EvalSteps.Select(_ => baseline), dashed: true);
        if (!double.IsNaN(baseLoss)) panel.Add("before fine-tuning", recipe.EvalSteps, recipe.EvalSteps.Select(_ => baseLoss), dashed: true);
        plot.Save(run.CurvesPath);
        double throughput = tokensSeen / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
        var results = new Dictionary<string, object?>
        {
            ["val_loss"] = valLoss, ["val_perplexity"] = Math.Exp(valLoss),
            ["unigram_baseline_loss"] = baseline, ["unigram_baseline_perplexity"] = Math.Exp(baseline),
            ["steps"] = state.GlobalStep, ["best_step"] = state.BestEpoch, ["tokens_per_s"] = throughput, ["samples"] = samples,
            ["method"] = options.Method.ConfigName(), ["trainable_params"] = trainableParameters, ["all_params"] = allParameters,
            ["diverged"] = diverged,
            ["ms_per_step"] = recipe.StepsRun > 0 ? recipe.TrainingSeconds * 1000 / recipe.StepsRun : double.NaN,
            ["peak_rss_mb"] = System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0),
        };
        foreach (var (name, value) in lastMetrics) results[name] = value;
        foreach (var (name, value) in finalReport) results[name] = value;
        if (baseValidation != null)
        {
            foreach (var (name, value) in baseValidation.Metrics) results["base_" + name] = value;
            results["base_val_loss"] = baseLoss;
            results["base_val_perplexity"] = Math.Exp(baseLoss);
        }
        IO.AtomicFile.Write(run.ResultsPath, s => JsonSerializer.Serialize(s, results, JsonNumbers.Indented));
        progress.Message($"validation loss {valLoss:F3}{LossNote(objective, valLoss, baseline)}; " +
            (adapterDirectory != null ? $"adapter saved to {adapterDirectory}" : $"model saved to {modelDirectory}"));
        return new LmResult(run.Root, modelDirectory, valLoss, baseline, throughput, samples) { AdapterDirectory = adapterDirectory, BaseValidationLoss = baseLoss, Diverged = diverged };
    }

    /// <summary>The tokenizer, the model to train, what it optimises, and (when fine-tuning) the starting validation loss.</summary>
    private (ITokenizer Tokenizer, ITrainableModel Model, ILmObjective Objective, LmValidation? Base) Setup(RunFolder run)
    {
        // The model that trains is float32; a teacher only predicts, so its weights are used where they are stored.
        // LoRA freezes the base: a Llama-family base is used where its files hold it (bf16 stays 2 bytes); GPT-2 bases
        // stay float32, where vocabulary growth and prompt embeddings read them.
        var baseStorage = options.Adaptation == TrainingMethod.Lora && options.InitFrom != null && ModelRegistry.ModelTypeOf(options.InitFrom) != "gpt2" ? WeightStorage.Mapped : WeightStorage.Float32;
        // A classifier's body may be any family with a classification head (an encoder is no language model).
        bool classify = options.Method is TrainingMethod.Classify or TrainingMethod.TokenClassify;
        // An encoder-decoder is no causal language model either: its branch below loads it.
        bool seq2seq = options.Method == TrainingMethod.Seq2Seq;
        ICausalLM? pretrained = options.InitFrom != null && !classify && !seq2seq ? ModelRegistry.LoadLanguageModel(options.InitFrom, baseStorage) : null;
        ITrainableModel? fresh = null;
        ITrainableModel? start = pretrained;
        ICausalLM? teacher = options.Teacher != null ? ModelRegistry.LoadLanguageModel(options.Teacher) : null;
        ITokenizer? tokenizer = null;
        if ((pretrained ?? teacher) is { } source)
        {
            string folder = pretrained != null ? options.InitFrom! : options.Teacher!;
            tokenizer = FolderTokenizer(folder, source);
            if (pretrained != null)
            {
                // Fine-tuning windows fit the model's context, less the virtual tokens of prompt tuning.
                int room = pretrained.ContextLength - (options.Adaptation == TrainingMethod.Prompt ? options.VirtualTokens : 0);
                if (room < 2) throw new ArgumentException($"{options.VirtualTokens} virtual tokens leave no room in the model's context of {pretrained.ContextLength}");
                options = options with { Context = Math.Min(options.Context, room) };
            }
        }

        ILmObjective objective;
        if (seq2seq)
        {
            var path = options.Corpus ?? throw new ArgumentException($"{OptionNames.Of(nameof(LmOptions.Method))} seq2seq needs a parallel corpus ({OptionNames.Of(nameof(LmOptions.Corpus))}: JSONL with {OptionNames.Of(nameof(LmOptions.SourceField))} and {OptionNames.Of(nameof(LmOptions.TargetField))}, or source<TAB>target lines in a .tsv)");
            var (pairs, skipped) = ParallelText.Read(path, options.CorpusFormat, options.SourceField, options.TargetField);
            if (JsonlReader.Summary(path, skipped) is { } summary) progress.Warning(summary);
            if (pairs.Count == 0) throw new InvalidDataException($"{path}: no source/target pairs");
            ISeq2SeqLM encoderDecoder;
            if (options.InitFrom != null)
            {
                tokenizer = ModelRegistry.RequireTokenizer(options.InitFrom, "to tokenise the pairs");
                encoderDecoder = ModelRegistry.LoadSeq2SeqLM(options.InitFrom, WeightStorage.Float32);
                start = encoderDecoder;
            }
            else
            {
                // One vocabulary for both languages (Marian's shared vocabulary), with a padding token of its own.
                tokenizer = BuildTokenizer(pairs.SelectMany(p => new[] { p.Source, p.Target }).ToList());
                if (tokenizer.IdOf(Seq2SeqModels.PadToken) < 0) tokenizer = tokenizer.WithSpecialTokens([Seq2SeqModels.PadToken]);
                encoderDecoder = Seq2SeqModels.New(options, tokenizer, new Generator(options.Seed + 1));
                fresh = encoderDecoder;
            }
            (IReadOnlyList<ParallelPair>, IReadOnlyList<ParallelPair>)? heldOut = null;
            if (options.ValidationCorpus != null)
            {
                List<ParallelPair> ReadHeldOut(string file)
                {
                    var (held, bad) = ParallelText.Read(file, options.CorpusFormat, options.SourceField, options.TargetField);
                    if (JsonlReader.Summary(file, bad) is { } note) progress.Warning(note);
                    return held.Count > 0 ? held : throw new InvalidDataException($"{file}: no source/target pairs");
                }
                heldOut = (ReadHeldOut(options.ValidationCorpus), ReadHeldOut(options.TestCorpus!));
            }
            objective = new Seq2SeqObjective(pairs, encoderDecoder, tokenizer, options, heldOut);
        }
        else if (options.Method == TrainingMethod.TokenClassify)
        {
            var path = options.Corpus ?? throw new ArgumentException($"{OptionNames.Of(nameof(LmOptions.Method))} token_classify needs a file of tagged sentences ({OptionNames.Of(nameof(LmOptions.Corpus))}: CoNLL text, or JSONL with {OptionNames.Of(nameof(LmOptions.TokensField))} and {OptionNames.Of(nameof(LmOptions.TagsField))})");
            var baseFolder = options.InitFrom ?? throw new ArgumentException($"{OptionNames.Of(nameof(LmOptions.Method))} token_classify fine-tunes a pretrained encoder ({OptionNames.Of(nameof(LmOptions.InitFrom))})");
            tokenizer = ModelRegistry.RequireTokenizer(baseFolder, "to tokenise the training data");
            var (sentences, skipped) = TaggedWordsReader.Read(path, options.CorpusFormat, options.TokensField, options.TagsField);
            if (JsonlReader.Summary(path, skipped) is { } summary) progress.Warning(summary);
            if (sentences.Count == 0) throw new InvalidDataException($"{path}: no tagged sentences");
            var tags = TokenClassificationObjective.TagNamesOf(sentences);
            var tagger = ModelRegistry.NewTokenClassifier(baseFolder, new NewClassifierHead(tags, tokenizer.EndOfTextId, options.Pooling.ToString().ToLowerInvariant(), new Generator(options.Seed + 3)));
            options = options with { Context = Math.Min(options.Context, tagger.ContextLength) };
            objective = new TokenClassificationObjective(sentences, tagger, tokenizer, options);
            start = tagger;
        }
        else if (classify)
        {
            var path = options.Corpus ?? throw new ArgumentException($"{OptionNames.Of(nameof(LmOptions.Method))} classify needs a JSONL file of labelled texts ({OptionNames.Of(nameof(LmOptions.Corpus))})");
            var baseFolder = options.InitFrom ?? throw new ArgumentException($"{OptionNames.Of(nameof(LmOptions.Method))} classify fine-tunes a pretrained model ({OptionNames.Of(nameof(LmOptions.InitFrom))})");
            tokenizer = ModelRegistry.RequireTokenizer(baseFolder, "to tokenise the training data");
            var (rows, skipped) = JsonlReader.Read(path, row =>
            {
                var text = JsonlReader.RequiredString(row, options.Field);
                if (!row.TryGetProperty(options.LabelField, out var label) || label.ValueKind is not (System.Text.Json.JsonValueKind.String or System.Text.Json.JsonValueKind.Number))
                    throw new InvalidDataException($"missing label field \"{options.LabelField}\"");
                text = options.StripHeaders ? EmailText.StripHeaders(text) : text;
                if (string.IsNullOrWhiteSpace(text)) throw new InvalidDataException("empty text");
                return new LabelledText(text, label.ValueKind == System.Text.Json.JsonValueKind.String ? label.GetString()! : label.GetRawText());
            });
            if (JsonlReader.Summary(path, skipped) is { } summary) progress.Warning(summary);
            var labels = SequenceClassificationObjective.ClassNamesOf(rows);
            var classifier = ModelRegistry.NewSequenceClassifier(baseFolder, new NewClassifierHead(labels, tokenizer.EndOfTextId, options.Pooling.ToString().ToLowerInvariant(), new Generator(options.Seed + 3)));
            int room = classifier.ContextLength - (options.Adaptation == TrainingMethod.Prompt ? options.VirtualTokens : 0);
            options = options with { Context = Math.Min(options.Context, room) };
            objective = new SequenceClassificationObjective(rows, classifier, tokenizer, options);
            start = classifier;
        }
        else if (options.Method == TrainingMethod.Sft)
        {
            var path = options.Corpus ?? throw new ArgumentException($"{OptionNames.Of(nameof(LmOptions.Method))} sft needs a JSONL file of conversations ({OptionNames.Of(nameof(LmOptions.Corpus))})");
            var (examples, skipped) = JsonlReader.Read(path, ChatTemplate.ReadExample);
            if (JsonlReader.Summary(path, skipped) is { } summary) progress.Warning(summary);
            var chat = LmMethod.ChatTemplateFor(options)!;
            if (options.ChatTemplate == null && ChatTemplate.IsDeclared(options.InitFrom!) && !chat.HasSpecialTokens(tokenizer!))
                throw new InvalidDataException($"{options.InitFrom}: the chat template is declared but tokenizer.json lacks its special tokens {string.Join(" ", chat.SpecialTokens)}");
            var withSpecials = chat.WithSpecialTokens(tokenizer!);
            if (withSpecials.VocabSize != tokenizer!.VocabSize)
            {
                var added = chat.SpecialTokens.Where(t => tokenizer.IdOf(t) < 0).ToList();
                progress.Message($"added the chat template's special tokens {string.Join(" ", added)} to the tokenizer (vocabulary {tokenizer.VocabSize} → {withSpecials.VocabSize})");
                // A published model's output layer may already have spare rows past its tokenizer (Qwen's padding).
                if (withSpecials.VocabSize > pretrained!.VocabSize) pretrained.ResizeTokenEmbeddings(withSpecials.VocabSize);
                tokenizer = withSpecials;
                if (options.Adaptation != TrainingMethod.Full)
                {
                    // An adapter applies to the model it was trained on: the grown one, written beside the run.
                    string grownBase = Path.Combine(run.Root, "base-model");
                    LmMethod.SaveModel(grownBase, pretrained, tokenizer, chat);
                    options = options with { InitFrom = grownBase };
                }
            }
            objective = new InstructionObjective(examples, tokenizer, chat, options);
        }
        else if (options.Method == TrainingMethod.Dpo)
        {
            var path = options.Corpus ?? throw new ArgumentException($"{OptionNames.Of(nameof(LmOptions.Method))} dpo needs a JSONL file of {{prompt, chosen, rejected}} ({OptionNames.Of(nameof(LmOptions.Corpus))})");
            var (pairs, skipped) = JsonlReader.Read(path, row => new PreferencePair(
                JsonlReader.RequiredString(row, "prompt"), JsonlReader.RequiredString(row, "chosen"), JsonlReader.RequiredString(row, "rejected")));
            if (JsonlReader.Summary(path, skipped) is { } summary) progress.Warning(summary);
            // The reference is the starting model, frozen: a second copy read from the same folder.
            objective = new PreferenceObjective(pairs, tokenizer!, ModelRegistry.LoadLanguageModel(options.InitFrom!), options);
        }
        else
        {
            TokenData data;
            if (options.TrainTokens != null)
            {
                tokenizer ??= Tokenizers.Load(options.Tokenizer);
                data = new TokenData(new TokenFile(options.TrainTokens, options.TokenWidth), new TokenFile(options.ValidationTokens!, options.TokenWidth));
            }
            else
            {
                var documents = DocumentSource.Read(options.Corpus ?? DefaultCorpusPath, options.CorpusFormat, options.Field).ToList();
                if (documents.Count == 0) throw new InvalidDataException($"{options.Corpus ?? DefaultCorpusPath}: no documents");
                tokenizer ??= BuildTokenizer(documents);
                var t = tokenizer;
                // Masked-LM windows join documents with [SEP] (BERT's vocabulary has no end-of-text token).
                int separator = options.Architecture == "bert" ? tokenizer.IdOf("[SEP]") : tokenizer.EndOfTextId;
                if (separator < 0) throw new InvalidDataException($"the tokenizer has no {(options.Architecture == "bert" ? "[SEP]" : CharTokenizer.EndOfText)} token to separate documents");
                data = new TokenData(documents.Select(d => t.Encode(d.Trim('\n'))).ToList(), separator, options.ValidationFraction, options.SplitSeed);
            }
            // T5's span corruption writes sentinels, BART's denoising masks, and both pad their batches; added tokens
            // leave the text's ids as they are.
            if (options.Architecture == "t5") tokenizer = SpanCorruptionObjective.WithSentinels(tokenizer!);
            if (options.Architecture is "bart" or "marian") tokenizer = DenoisingObjective.WithMask(tokenizer!);
            objective = teacher != null ? new DistillationObjective(data, options, teacher)
                : options.Architecture == "bert" ? new MaskedLmObjective(data, tokenizer, options)
                : options.Architecture == "t5" ? new SpanCorruptionObjective(data, tokenizer, options)
                : options.Architecture is "bart" or "marian" ? new DenoisingObjective(data, tokenizer, options)
                : new NextTokenObjective(data, options, tokenizer.VocabSize) { Shard = new BatchShard(ProcessGroup.Rank, ProcessGroup.Size) };
        }

        if (ProcessGroup.Size > 1 && objective is not NextTokenObjective)
            throw new ArgumentException($"data-parallel training (mpirun, --nproc) supports next-token objectives (pretraining, fine-tuning on raw text); method {options.Method.ConfigName()}{(teacher != null ? " with a teacher" : "")} must run in one process");
        var model = start ?? fresh ?? NewModel(tokenizer!);
        LmValidation? before = null;
        if (start != null)
        {
            before = objective.Validate(model);
            progress.Message($"{options.Method.ConfigName()} fine-tuning of {options.InitFrom}: validation loss before training {before.Loss:F3}" +
                (objective.LossIsPerplexity ? $" (perplexity {Math.Exp(before.Loss):F1})" : "") + string.Concat(before.Metrics.Select(m => $", {m.Key} {m.Value:F3}")));
        }
        return (tokenizer!, model, objective, before);
    }

    /// <summary>A model of the configured architecture and size, initialised from the run's seed.</summary>
    private ITrainableModel NewModel(ITokenizer tokenizer)
    {
        var generator = new Generator(options.Seed + 1);
        if (options.IsSeq2SeqArchitecture) return Seq2SeqModels.New(options, tokenizer, generator);
        if (options.Architecture == "bert")
        {
            return new BertForMaskedLM(new BertConfig
            {
                VocabSize = tokenizer.VocabSize, HiddenSize = options.Width, NumHiddenLayers = options.Layers, NumAttentionHeads = options.Heads,
                IntermediateSize = 4 * options.Width, MaxPositionEmbeddings = options.Context, PadTokenId = Math.Max(0, tokenizer.IdOf("[PAD]")),
                HiddenDropoutProb = options.Dropout, AttentionProbsDropoutProb = options.Dropout,
            }, generator);
        }
        if (options.Architecture == "llama")
        {
            // SwiGLU's hidden width: 8/3 of the model width (the same parameters as a 4× GELU MLP), rounded up to 8.
            int intermediate = (options.Width * 8 / 3 + 7) / 8 * 8;
            return new LlamaForCausalLM(new LlamaConfig
            {
                VocabSize = tokenizer.VocabSize, HiddenSize = options.Width, IntermediateSize = intermediate, NumHiddenLayers = options.Layers,
                NumAttentionHeads = options.Heads, NumKeyValueHeads = options.KvHeads ?? options.Heads, HeadDim = options.Width / options.Heads,
                MaxPositionEmbeddings = options.Context, RmsNormEps = 1e-5f, RopeTheta = 10000, TieWordEmbeddings = true,
                EosTokenIds = tokenizer.EndOfTextId >= 0 ? [tokenizer.EndOfTextId] : [], TorchDtype = "float32",
            }, generator);
        }
        return new GptModel(new GptConfig
        {
            VocabSize = tokenizer.VocabSize, NPositions = options.Context, NEmbd = options.Width, NLayer = options.Layers, NHead = options.Heads,
            EmbdPdrop = options.Dropout, AttnPdrop = options.Dropout, ResidPdrop = options.Dropout,
        }, generator);
    }

    /// <summary>" (perplexity P, baseline B)": the perplexity where the loss is a per-token log-likelihood, the baseline
    /// where the objective has one; nothing for classification.</summary>
    internal static string LossNote(ILmObjective objective, double loss, double baseline)
    {
        var parts = new List<string>(2);
        if (objective.LossIsPerplexity) parts.Add($"perplexity {Math.Exp(loss):F1}");
        if (!double.IsNaN(baseline)) parts.Add($"{objective.BaselineName} {baseline:F3}");
        return parts.Count == 0 ? "" : $" ({string.Join(", ", parts)})";
    }

    private static ITokenizer FolderTokenizer(string folder, ICausalLM model)
    {
        var tokenizerPath = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(tokenizerPath)) throw new FileNotFoundException($"model folder '{folder}' has no tokenizer.json to tokenise the training data", tokenizerPath);
        var tokenizer = Tokenizers.Load(tokenizerPath);
        // Published checkpoints often pad the output layer past the tokenizer (Qwen: 151,936 rows for 151,669 tokens);
        // Sapling's own GPT folders match exactly.
        if (model is GptModel ? tokenizer.VocabSize != model.VocabSize : tokenizer.VocabSize > model.VocabSize)
            throw new InvalidDataException($"{tokenizerPath}: {tokenizer.VocabSize} tokens, but the model's vocab_size is {model.VocabSize}");
        return tokenizer;
    }

    private ITokenizer BuildTokenizer(List<string> documents) => options.Tokenizer switch
    {
        "char" => CharTokenizer.Train(documents),
        "bpe" => ByteLevelBpe.Train(documents, options.VocabSize),
        "wordpiece" => Data.Text.Tokenization.WordPieceTrainer.Train(documents, new Data.Text.Tokenization.WordPieceTrainerOptions { VocabSize = options.VocabSize }),
        var path => Tokenizers.Load(path),
    };
}
