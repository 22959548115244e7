using Sapling.IO;
using Sapling.Training.Guards;
namespace Sapling.Training.LanguageModel;

/// <summary>How to pre-train a language model: corpus, tokenizer, model size and the optimisation schedule.</summary>
public sealed record LmOptions
{
    /// <summary>A %-separated corpus; null means the embedded Tang poems (data/zh-tang300.txt).</summary>
    public string? Corpus { get; init; }

    /// <summary>How the corpus is laid out: percent, jsonl, text, lines, folder or auto (see DocumentSource).</summary>
    public string CorpusFormat { get; init; } = "auto";

    /// <summary>The JSONL field holding the text.</summary>
    public string Field { get; init; } = "text";

    /// <summary>"char" (learn a character vocabulary), "bpe" (learn a byte-level BPE of <see cref="VocabSize"/>),
    /// "wordpiece" (learn BERT's uncased WordPiece of <see cref="VocabSize"/>) or the path of an existing tokenizer.json.</summary>
    public string Tokenizer { get; init; } = "char";

    /// <summary>
    /// Config key <c>data.vocab_size</c>: vocabulary size of a BPE or WordPiece tokenizer learnt from the corpus
    /// (default 4096).
    /// </summary>
    public int VocabSize { get; init; } = 4096;

    /// <summary>Pre-tokenised uint16/uint32 files (from <c>sapling data tokenize</c>); when set, the corpus is not read and
    /// <see cref="Tokenizer"/> must be the tokenizer.json that made them.</summary>
    public string? TrainTokens { get; init; }
    /// <summary>
    /// Config key <c>data.validation_tokens</c>: the validation token file, given together with
    /// <see cref="TrainTokens"/>.
    /// </summary>
    public string? ValidationTokens { get; init; }

    /// <summary>Width of the token files; null reads it from their <c>tokens.json</c>, else uint16.</summary>
    public TokenWidth? TokenWidth { get; init; }

    /// <summary>
    /// Config key <c>data.validation_fraction</c>: share of the documents or examples held out for validation, in
    /// (0, 1) (default 0.1).
    /// </summary>
    public double ValidationFraction { get; init; } = 0.1;
    /// <summary>Config key <c>data.split_seed</c>: seed of the train/validation(/test) split (default 0).</summary>
    public ulong SplitSeed { get; init; }

    /// <summary>
    /// pretrain (a new model), full (all weights of <see cref="InitFrom"/>), lora, prompt (see <see cref="LmMethod"/>),
    /// distill (a new student taught by <see cref="Teacher"/>) or dpo (preference pairs; <see cref="Tuning"/> says
    /// which weights train).
    /// </summary>
    public TrainingMethod Method { get; init; } = TrainingMethod.Pretrain;

    /// <summary>For dpo and sft: full, lora or prompt.</summary>
    public TrainingMethod Tuning { get; init; } = TrainingMethod.Full;

    /// <summary>Distillation: the teacher's model folder (its tokenizer is the student's), the softening temperature
    /// and the weight of the soft targets against the hard next-token loss.</summary>
    public string? Teacher { get; init; }
    /// <summary>
    /// Config key <c>distill.temperature</c>: softens both models' distributions before comparing them; the soft loss
    /// is scaled by its square (default 2).
    /// </summary>
    public float DistillTemperature { get; init; } = 2f;
    /// <summary>
    /// Config key <c>distill.alpha</c>: weight of the teacher's soft targets, in [0, 1]; the hard next-token loss gets
    /// 1 − alpha (default 0.5).
    /// </summary>
    public float DistillAlpha { get; init; } = 0.5f;

    /// <summary>Classification: the JSONL fields, the held-out test share, header stripping for e-mail, the pooling
    /// of hidden states (last token or mean) and the class whose F1 is reported on its own.</summary>
    public string LabelField { get; init; } = "label";
    /// <summary>
    /// Config key <c>data.test_fraction</c>: share of the examples held out for the final test report (default 0.1).
    /// </summary>
    public double TestFraction { get; init; } = 0.1;
    /// <summary>
    /// Config key <c>data.strip_headers</c>: drop e-mail headers from each text before classifying it (default false).
    /// </summary>
    public bool StripHeaders { get; init; }
    /// <summary>
    /// Config key <c>classify.pooling</c>: how hidden states become one vector for the class head: the last token's
    /// (default) or the mean.
    /// </summary>
    public ClassifierPooling Pooling { get; init; } = ClassifierPooling.Last;

    /// <summary>Classification: weight of an auxiliary next-token loss on the training texts, added to the class loss
    /// (GPT-1's fine-tuning objective, L = L_class + λ·L_lm); 0 turns it off.</summary>
    public float ClassifyLmWeight { get; init; }

    /// <summary>Sequence-to-sequence (method seq2seq): the JSONL fields of a pair, label smoothing of the target
    /// cross-entropy, the longest source and target kept in tokens (eos included), the beams of the test report's beam
    /// search, and how many validation pairs are translated (greedy) for val_bleu.</summary>
    public string SourceField { get; init; } = "source";

    /// <summary>Sequence-to-sequence: held-out pairs in files of their own (both or neither); without them data.corpus is split by data.split_seed.</summary>
    public string? ValidationCorpus { get; init; }
    /// <summary>
    /// Config key <c>data.test_corpus</c>: held-out test pairs for seq2seq, given together with
    /// <see cref="ValidationCorpus"/>.
    /// </summary>
    public string? TestCorpus { get; init; }

    /// <summary>
    /// Config key <c>data.target_field</c>: the JSONL field holding a pair's target (default "target").
    /// </summary>
    public string TargetField { get; init; } = "target";
    /// <summary>
    /// Config key <c>seq2seq.label_smoothing</c>: label smoothing of the target cross-entropy, in [0, 1) (default 0.1).
    /// </summary>
    public float LabelSmoothing { get; init; } = 0.1f;
    /// <summary>
    /// Config key <c>seq2seq.max_source_length</c>: longest source kept, in tokens including eos (default 128).
    /// </summary>
    public int MaxSourceLength { get; init; } = 128;
    /// <summary>
    /// Config key <c>seq2seq.max_target_length</c>: longest target kept, in tokens including eos (default 128).
    /// </summary>
    public int MaxTargetLength { get; init; } = 128;
    /// <summary>Config key <c>seq2seq.num_beams</c>: beam width of the test report's beam search (default 4).</summary>
    public int NumBeams { get; init; } = 4;
    /// <summary>
    /// Config key <c>seq2seq.eval_samples</c>: validation pairs translated greedily at each evaluation for val_bleu
    /// (default 200; 0 skips it).
    /// </summary>
    public int Seq2SeqEvalSamples { get; init; } = 200;

    /// <summary>T5 span-corruption pre-training (method pretrain, model.architecture t5): the share of each window's tokens
    /// cut out, and the mean length of the cut spans.</summary>
    public double SpanNoiseDensity { get; init; } = 0.15;
    /// <summary>
    /// Config key <c>span.mean_noise_span_length</c>: mean length of a corrupted span in tokens, at least 1
    /// (default 3).
    /// </summary>
    public double SpanMeanLength { get; init; } = 3;

    /// <summary>BART denoising pre-training (method pretrain, model.architecture bart or marian): the share of each
    /// window's tokens masked, the mean (Poisson λ) of the masked spans' lengths, the share of masks that are a random
    /// token instead, and whether sentences are shuffled first. fairseq's BART-base/large settings by default.</summary>
    public double MaskRatio { get; init; } = 0.3;
    /// <summary>
    /// Config key <c>denoise.poisson_lambda</c>: mean length of a masked span, in (0, 64] (default 3.5).
    /// </summary>
    public double PoissonLambda { get; init; } = 3.5;
    /// <summary>
    /// Config key <c>denoise.random_ratio</c>: share of masked spans replaced by a random token instead of the mask
    /// (default 0.1).
    /// </summary>
    public double MaskRandomRatio { get; init; } = 0.1;
    /// <summary>
    /// Config key <c>denoise.permute_sentences</c>: shuffle each window's sentences before masking (default true).
    /// </summary>
    public bool PermuteSentences { get; init; } = true;

    /// <summary>SFT: pack several conversations into each context-long training row (TRL's packing) instead of one padded conversation per row.</summary>
    public bool Packing { get; init; }

    /// <summary>SFT: the conversation format, a built-in template name (chatml, zephyr, llama2, mistral, gemma, phi3,
    /// llama3) or a .jinja file; null keeps the template the model folder declares, else ChatML.</summary>
    public string? ChatTemplate { get; init; }
    /// <summary>
    /// Config key <c>classify.positive_label</c>: the class whose precision, recall and F1 are reported on their own
    /// (e.g. "spam"); null reports none. Must be one of the labels.
    /// </summary>
    public string? PositiveLabel { get; init; }

    /// <summary>Masked-LM pre-training chooses whole words (all their WordPiece pieces) instead of single tokens.</summary>
    public bool WholeWordMask { get; init; }

    /// <summary>Sequence labelling from JSONL: the fields holding each line's words and their tags.</summary>
    public string TokensField { get; init; } = "tokens";
    /// <summary>Config key <c>data.tags_field</c>: the JSONL field holding each line's tags (default "tags").</summary>
    public string TagsField { get; init; } = "tags";

    /// <summary>DPO: how strongly the policy is kept near the reference (β of the paper).</summary>
    public float DpoBeta { get; init; } = 0.1f;

    /// <summary>The tuning recipe that decides which weights train: <see cref="Tuning"/> for dpo, else the method.</summary>
    public TrainingMethod Adaptation => Method switch
    {
        TrainingMethod.Dpo or TrainingMethod.Sft or TrainingMethod.Classify or TrainingMethod.TokenClassify or TrainingMethod.Seq2Seq => Tuning,
        TrainingMethod.Pretrain or TrainingMethod.Distill => TrainingMethod.Pretrain,
        _ => Method,
    };

    /// <summary>The model folder to fine-tune (config.json, model.safetensors, tokenizer.json); its tokenizer is used.</summary>
    public string? InitFrom { get; init; }

    /// <summary>
    /// The adapters of method lora (and tuning: lora): rank 8, alpha 16, dropout 0.05, and no target modules, which
    /// means the family's usual layers (GPT-2's c_attn and c_proj, the Llama family's attention projections).
    /// </summary>
    public NN.Adapters.LoraConfig Lora { get; init; } = new() { Dropout = 0.05f, TargetModules = [] };

    /// <summary>Prompt tuning: how many virtual tokens, and an optional text whose token embeddings start them.</summary>
    public int VirtualTokens { get; init; } = 20;
    /// <summary>
    /// Config key <c>prompt.init_text</c>: text whose token embeddings start the virtual tokens; null starts them from
    /// random vocabulary embeddings.
    /// </summary>
    public string? PromptInitText { get; init; }

    /// <summary>Full fine-tuning: block i of L trains at lr·decay^(L-i) (1 turns it off).</summary>
    public double LayerDecay { get; init; } = 1;

    /// <summary>What picks the best step: val_loss (lower is better) or a validation metric such as exact_match,
    /// reward_accuracy or val_f1_spam (higher is better).</summary>
    public string Monitor { get; init; } = "val_loss";

    /// <summary>
    /// The family a run from scratch builds: gpt2 (learned positions, LayerNorm, GELU, dropout) or llama (rotary
    /// positions, RMSNorm, SwiGLU, grouped-query attention; no dropout).
    /// </summary>
    public string Architecture { get; init; } = "gpt2";

    /// <summary>Key/value heads of a llama model built from scratch (grouped-query attention); null: one per query head.</summary>
    public int? KvHeads { get; init; }

    /// <summary>
    /// Config key <c>model.context</c>: tokens per training sequence (default 64; with <c>model.path</c> the default is
    /// as long as the model allows).
    /// </summary>
    public int Context { get; init; } = 64;
    /// <summary>Config key <c>model.layers</c>: transformer blocks of a model built from scratch (default 4).</summary>
    public int Layers { get; init; } = 4;
    /// <summary>
    /// Config key <c>model.heads</c>: attention heads of a model built from scratch; must divide <see cref="Width"/>
    /// (default 4).
    /// </summary>
    public int Heads { get; init; } = 4;
    /// <summary>Config key <c>model.width</c>: hidden size of a model built from scratch (default 128).</summary>
    public int Width { get; init; } = 128;
    /// <summary>
    /// Config key <c>model.dropout</c>: dropout probability of a model built from scratch (default 0.1).
    /// </summary>
    public float Dropout { get; init; } = 0.1f;

    /// <summary>Recompute each layer's activations in backward instead of keeping them (train.gradient_checkpointing).</summary>
    public bool GradientCheckpointing { get; init; }

    /// <summary>Config key <c>train.steps</c>: optimiser steps to train for (default 2000).</summary>
    public int Steps { get; init; } = 2000;
    /// <summary>Config key <c>train.batch_size</c>: sequences per optimiser step (default 16).</summary>
    public int BatchSize { get; init; } = 16;
    /// <summary>Config key <c>train.lr</c>: AdamW's peak learning rate, reached after warm-up (default 3e-3).</summary>
    public double LearningRate { get; init; } = 3e-3;
    /// <summary>
    /// Config key <c>train.min_lr_ratio</c>: where the cosine schedule ends, as a fraction of the peak learning rate
    /// (default 0.1).
    /// </summary>
    public double MinLearningRateRatio { get; init; } = 0.1;
    /// <summary>
    /// Config key <c>train.warmup_steps</c>: steps of linear learning-rate warm-up before the cosine decay (default
    /// 100; capped at <see cref="Steps"/>).
    /// </summary>
    public int WarmupSteps { get; init; } = 100;
    /// <summary>
    /// Config key <c>train.weight_decay</c>: AdamW's decoupled weight decay, applied to weight matrices only
    /// (default 0.1).
    /// </summary>
    public double WeightDecay { get; init; } = 0.1;
    /// <summary>Config key <c>train.grad_clip</c>: the gradients' global norm is clipped to this (default 1).</summary>
    public float GradClip { get; init; } = 1f;
    /// <summary>
    /// Config key <c>train.eval_interval</c>: optimiser steps between evaluations, which are also where checkpoints and
    /// the best model are kept (default 250; the last step is always evaluated).
    /// </summary>
    public int EvalInterval { get; init; } = 250;
    /// <summary>
    /// Config key <c>train.eval_batches</c>: at most this many validation batches per evaluation (default 20).
    /// </summary>
    public int EvalBatches { get; init; } = 20;
    /// <summary>
    /// Config key <c>train.sample_tokens</c>: tokens of sample text generated at each evaluation of a text-writing
    /// objective (default 64; 0 turns the sample off).
    /// </summary>
    public int SampleTokens { get; init; } = 64;
    /// <summary>
    /// Config key <c>train.seed</c>: seeds weight initialisation, batch sampling and masking (default 0).
    /// </summary>
    public ulong Seed { get; init; }

    /// <summary>Whether <see cref="Architecture"/> names an encoder-decoder built from scratch (method seq2seq).</summary>
    public bool IsSeq2SeqArchitecture => Architecture is "marian" or "bart" or "t5";

    /// <summary>
    /// Refuses options no run can use. Messages name each option through <see cref="OptionNames"/>: the property's own
    /// name ("LearningRate", "Lora.Rank"), or the config key when the caller installed its names ("train.lr", "lora.r").
    /// </summary>
    public void Validate()
    {
        static string N(string option) => OptionNames.Of(option);
        string method = $"{N(nameof(Method))} {Method.ConfigName()}";
        FiniteOptions.Check(this);
        if (!Enum.IsDefined(Method)) throw new ArgumentException($"{N(nameof(Method))} {(int)Method} is not one of {string.Join(", ", TrainingMethods.Names)}");
        if (Method == TrainingMethod.Seq2Seq && Tuning is not (TrainingMethod.Full or TrainingMethod.Lora))
            throw new ArgumentException($"{N(nameof(Tuning))} must be full or lora, got '{Tuning.ConfigName()}'");
        if (Method == TrainingMethod.Seq2Seq && Tuning == TrainingMethod.Lora && InitFrom == null)
            throw new ArgumentException($"{N(nameof(Tuning))} lora adapts a trained encoder-decoder: give its folder ({N(nameof(InitFrom))})");
        if (Method == TrainingMethod.Seq2Seq && InitFrom == null && !IsSeq2SeqArchitecture)
            throw new ArgumentException($"{method} trains a model folder ({N(nameof(InitFrom))}) or a new encoder-decoder ({N(nameof(Architecture))} marian, bart or t5), not {N(nameof(Architecture))} {Architecture}");
        if (IsSeq2SeqArchitecture && Method is not (TrainingMethod.Seq2Seq or TrainingMethod.Pretrain))
            throw new ArgumentException($"{N(nameof(Architecture))} {Architecture} is an encoder-decoder, trained with {N(nameof(Method))} seq2seq on source/target pairs or pre-trained with {N(nameof(Method))} pretrain (t5 by span corruption, bart and marian by denoising)");
        if (!(SpanNoiseDensity > 0 && SpanNoiseDensity < 1) || !(SpanMeanLength >= 1)) throw new ArgumentException($"{N(nameof(SpanNoiseDensity))} must be in (0, 1) and {N(nameof(SpanMeanLength))} at least 1, got {SpanNoiseDensity} and {SpanMeanLength}");
        if (!(MaskRatio > 0 && MaskRatio < 1) || !(PoissonLambda > 0 && PoissonLambda <= 64) || !(MaskRandomRatio >= 0 && MaskRandomRatio <= 1))
            throw new ArgumentException($"{N(nameof(MaskRatio))} must be in (0, 1), {N(nameof(PoissonLambda))} in (0, 64] and {N(nameof(MaskRandomRatio))} in [0, 1], got {MaskRatio}, {PoissonLambda} and {MaskRandomRatio}");
        if ((ValidationCorpus == null) != (TestCorpus == null)) throw new ArgumentException($"{N(nameof(ValidationCorpus))} and {N(nameof(TestCorpus))} go together");
        if (ValidationCorpus != null && Method != TrainingMethod.Seq2Seq) throw new ArgumentException($"{N(nameof(ValidationCorpus))} and {N(nameof(TestCorpus))} apply to {N(nameof(Method))} seq2seq, not {Method.ConfigName()}");
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 1)) throw new ArgumentException($"{N(nameof(LabelSmoothing))} must be in [0, 1), got {LabelSmoothing}");
        if (MaxSourceLength < 2 || MaxTargetLength < 2) throw new ArgumentException($"{N(nameof(MaxSourceLength))} and {N(nameof(MaxTargetLength))} must be at least 2, got {MaxSourceLength} and {MaxTargetLength}");
        if (NumBeams < 1 || Seq2SeqEvalSamples < 0) throw new ArgumentException($"{N(nameof(NumBeams))} must be positive and {N(nameof(Seq2SeqEvalSamples))} not negative, got {NumBeams} and {Seq2SeqEvalSamples}");
        if (Method is TrainingMethod.Classify or TrainingMethod.TokenClassify && Tuning is not (TrainingMethod.Full or TrainingMethod.Lora))
            throw new ArgumentException($"{N(nameof(Tuning))} must be full or lora for {method} (LoRA adapters on the body and a trained score head), got '{Tuning.ConfigName()}'; prompt tuning has no mergeable weights for a classifier folder");
        if (!Enum.IsDefined(Pooling)) throw new ArgumentException($"{N(nameof(Pooling))}: {(int)Pooling} is not a pooling");
        if (!(ClassifyLmWeight >= 0) || float.IsInfinity(ClassifyLmWeight)) throw new ArgumentException($"{N(nameof(ClassifyLmWeight))} must be a finite weight of 0 or more, got {ClassifyLmWeight}");
        if (TestFraction is < 0 or >= 1 || ValidationFraction + TestFraction >= 1) throw new ArgumentException($"{N(nameof(ValidationFraction))} {ValidationFraction} and {N(nameof(TestFraction))} {TestFraction} leave nothing to train on");
        if (Method is TrainingMethod.Dpo or TrainingMethod.Sft && Tuning is not (TrainingMethod.Full or TrainingMethod.Lora or TrainingMethod.Prompt)) throw new ArgumentException($"{N(nameof(Tuning))} must be full, lora or prompt for {method}, got '{Tuning.ConfigName()}'");
        if (WholeWordMask && Architecture != "bert") throw new ArgumentException($"{N(nameof(WholeWordMask))} applies to masked-LM pre-training ({N(nameof(Architecture))} bert), not {Architecture}");
        if (ChatTemplate != null && Method != TrainingMethod.Sft) throw new ArgumentException($"{N(nameof(ChatTemplate))} applies to {N(nameof(Method))} sft only, not {Method.ConfigName()}");
        if (ChatTemplate != null && !Data.Text.ChatTemplate.BuiltinNames.Contains(ChatTemplate) && !ChatTemplate.EndsWith(".jinja", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"{N(nameof(ChatTemplate))} must be one of {string.Join(", ", Data.Text.ChatTemplate.BuiltinNames)} or a .jinja file, got '{ChatTemplate}'");
        if (Method is not (TrainingMethod.Pretrain or TrainingMethod.Distill or TrainingMethod.Seq2Seq) && InitFrom == null) throw new ArgumentException($"{method} fine-tunes a model: give its folder ({N(nameof(InitFrom))})");
        if (Method is TrainingMethod.Pretrain or TrainingMethod.Distill && InitFrom != null) throw new ArgumentException($"a {Method.ConfigName()} run starts from random weights; to start from a model folder choose {N(nameof(Method))} full, lora or prompt");
        if (Method == TrainingMethod.Distill && Teacher == null) throw new ArgumentException($"{method} needs the teacher's model folder ({N(nameof(Teacher))})");
        if (DistillTemperature <= 0 || DistillAlpha is < 0 or > 1) throw new ArgumentException($"{N(nameof(DistillTemperature))} must be positive and {N(nameof(DistillAlpha))} in [0, 1], got {DistillTemperature} and {DistillAlpha}");
        if (DpoBeta <= 0) throw new ArgumentException($"{N(nameof(DpoBeta))} must be positive, got {DpoBeta}");
        if (LayerDecay is <= 0 or > 1) throw new ArgumentException($"{N(nameof(LayerDecay))} must be in (0, 1], got {LayerDecay}");
        if (LayerDecay != 1 && Adaptation != TrainingMethod.Full) throw new ArgumentException($"{N(nameof(LayerDecay))} applies to {N(nameof(Method))} full only");
        if (Adaptation == TrainingMethod.Prompt && VirtualTokens < 1) throw new ArgumentException($"{N(nameof(VirtualTokens))} must be positive, got {VirtualTokens}");
        if (Adaptation == TrainingMethod.Lora) using (OptionNames.Within(nameof(Lora))) Lora.Validate(requireTargets: false);
        if (Context < 2) throw new ArgumentException($"{N(nameof(Context))} must be at least 2, got {Context}");
        if (Layers <= 0 || Heads <= 0 || Width <= 0) throw new ArgumentException($"{N(nameof(Layers))}, {N(nameof(Heads))} and {N(nameof(Width))} must be positive, got {Layers}, {Heads} and {Width}");
        // A model built from these options (not loaded from a folder) keeps parameters, gradients and two AdamW
        // moments: 16 bytes a parameter, all of which must fit in memory.
        long parameters = 12L * Layers * Width * Width + (long)Context * Width;
        long budget = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 16;
        if (InitFrom == null && parameters > budget) throw new ArgumentException($"{N(nameof(Layers))} {Layers} × {N(nameof(Width))} {Width} describes about {parameters:N0} parameters; training them needs about {parameters * 16 / (1L << 30):N0} GiB, more than this machine has");
        if (Width % Heads != 0) throw new ArgumentException($"{N(nameof(Width))} {Width} must be divisible by {N(nameof(Heads))} {Heads}");
        if (Architecture is not ("gpt2" or "llama" or "bert" or "marian" or "bart" or "t5")) throw new ArgumentException($"{N(nameof(Architecture))} must be gpt2, llama, bert, marian, bart or t5, got '{Architecture}'");
        if (Architecture == "bert" && Method != TrainingMethod.Pretrain) throw new ArgumentException($"{N(nameof(Architecture))} bert is pre-trained with masked-LM ({N(nameof(Method))} pretrain); {method} fine-tunes a model folder ({N(nameof(InitFrom))})");
        if (Architecture == "bert" && TrainTokens != null) throw new ArgumentException($"masked-LM pre-training reads a text corpus ({N(nameof(Corpus))}), not token files");
        if (Architecture != "gpt2" && InitFrom != null) throw new ArgumentException($"{N(nameof(Architecture))} describes a model built from scratch; a model folder ({N(nameof(InitFrom))}) brings its own");
        if (KvHeads is int kv && (Architecture != "llama" || kv <= 0 || Heads % kv != 0))
            throw new ArgumentException($"{N(nameof(KvHeads))} applies to {N(nameof(Architecture))} llama and must divide {N(nameof(Heads))} {Heads}, got {kv}");
        if (Architecture == "llama" && (Width / Heads) % 2 != 0) throw new ArgumentException($"{N(nameof(Width))} / {N(nameof(Heads))} = {Width / Heads} must be even for rotary positions");
        if (Steps <= 0 || BatchSize <= 0) throw new ArgumentException($"{N(nameof(Steps))} and {N(nameof(BatchSize))} must be positive");
        if (EvalInterval <= 0) throw new ArgumentException($"{N(nameof(EvalInterval))} must be positive, got {EvalInterval}");
        if ((TrainTokens == null) != (ValidationTokens == null)) throw new ArgumentException($"{N(nameof(TrainTokens))} and {N(nameof(ValidationTokens))} go together");
        if (TrainTokens != null && InitFrom == null && Tokenizer is "char" or "bpe") throw new ArgumentException($"with token files, {N(nameof(Tokenizer))} must be the path of the tokenizer.json that made them");
        if (ValidationFraction is <= 0 or >= 1) throw new ArgumentException($"{N(nameof(ValidationFraction))} must be in (0, 1), got {ValidationFraction}");
    }
}
