using Sapling.NN;

namespace Sapling.Models.Gpt;

/// <summary>
/// GPT-2 (Radford et al., 2019): token + learned position embeddings, pre-LayerNorm blocks of causal multi-head
/// self-attention and a GELU MLP, a final LayerNorm, and an output head tied to the token embedding. Parameter names
/// are Hugging Face's (wte, wpe, h.{i}.attn.c_attn, ..., ln_f), so GPT-2 checkpoints load unchanged.
/// </summary>
public sealed class GptModel : Module<Tensor, Tensor>, ICausalLM, ISequenceClassifier
{
    private readonly List<GptBlock> blocks = new();

    /// <summary>
    /// Creates a randomly initialised model for <paramref name="config"/> (validated first);
    /// <paramref name="generator"/> makes the initialisation reproducible.
    /// </summary>
    public GptModel(GptConfig config, Generator? generator = null)
    {
        config.Validate("GPT config");
        Config = config;
        Wte = RegisterModule("wte", new Embedding(config.VocabSize, config.NEmbd, generator));
        Wpe = RegisterModule("wpe", new Embedding(config.NPositions, config.NEmbd, generator));
        Init.Normal(Wte.Weight, 0f, 0.02f, generator);
        Init.Normal(Wpe.Weight, 0f, 0.01f, generator);
        Drop = RegisterModule("drop", new Dropout(config.EmbdPdrop));
        var h = RegisterModule("h", new Sequential());
        for (int i = 0; i < config.NLayer; i++)
        {
            var block = new GptBlock(config, i, generator);
            h.Add(block);
            blocks.Add(block);
        }
        LnF = RegisterModule("ln_f", new LayerNorm(config.NEmbd, config.LayerNormEpsilon));
    }

    /// <summary>The model's config; resizing the vocabulary or adding a classification head replace it.</summary>
    public GptConfig Config { get; private set; }
    /// <summary>wte: the token embedding, vocab × n_embd, also the output head's matrix.</summary>
    public Embedding Wte { get; private set; }
    /// <summary>wpe: the learned position embedding, n_positions × n_embd.</summary>
    public Embedding Wpe { get; }
    /// <summary>drop: dropout on the embeddings (embd_pdrop).</summary>
    public Dropout Drop { get; }
    /// <summary>ln_f: the final LayerNorm, applied after the last block.</summary>
    public LayerNorm LnF { get; }
    /// <summary>h: the transformer blocks in order (h.{i} in the checkpoint).</summary>
    public IReadOnlyList<GptBlock> Blocks => blocks;

    /// <summary>
    /// Prompt tuning (Lester et al., 2021): trained embeddings of virtual tokens placed before every input, at positions
    /// 0..N-1, while the model itself stays frozen. Null when the model has none.
    /// </summary>
    public Tensor? PromptEmbeddings { get; private set; }

    /// <summary>Number of virtual tokens in front of every input (0 without prompt tuning).</summary>
    public int VirtualTokens => PromptEmbeddings?.Shape[0] ?? 0;

    /// <summary>
    /// Grows the vocabulary to <paramref name="vocabSize"/> (new special tokens): existing rows keep their values and
    /// new rows start at the mean of the existing ones, so a new token's logit starts near the average rather than at
    /// a random extreme. The output head is tied, so it grows too.
    /// </summary>
    public void ResizeTokenEmbeddings(int vocabSize)
    {
        if (vocabSize == Config.VocabSize) return;
        var grown = Wte.Resized(vocabSize);
        Wte = ReplaceChild("wte", grown);
        Config = Config with { VocabSize = vocabSize };
    }

    /// <summary>Adds trainable virtual-token embeddings [N, n_embd] under PEFT's name "prompt_embeddings".</summary>
    public void AddPromptTuning(Tensor embeddings)
    {
        if (PromptEmbeddings != null) throw new InvalidOperationException("GPT: the model already has prompt-tuning embeddings");
        if (embeddings.Rank != 2 || embeddings.Shape[1] != Config.NEmbd || embeddings.Shape[0] < 1)
            throw new ArgumentException($"GPT: prompt embeddings must be [virtual tokens, {Config.NEmbd}], got {ShapeUtil.Format(embeddings.Shape.ToArray())}");
        if (embeddings.Shape[0] >= Config.NPositions)
            throw new ArgumentException($"GPT: {embeddings.Shape[0]} virtual tokens leave no room in the context of {Config.NPositions}");
        PromptEmbeddings = RegisterParameter("prompt_embeddings", embeddings);
    }

    /// <summary>Logits [B, T, vocab] for token ids [B, T] (int64).</summary>
    public override Tensor Forward(Tensor ids) => Forward(ids, null);

    /// <summary>
    /// With a cache, <paramref name="ids"/> are the positions after those already cached. <paramref name="leftPadding"/>
    /// gives, per batch row, how many leading tokens are padding (prompts of different lengths in one batch): their
    /// positions start after the padding and no query attends to them. A cache remembers the padding of its prefill.
    /// </summary>
    public Tensor Forward(Tensor ids, IKvCache? cache, int[]? leftPadding = null) => OutputHead(HiddenStates(ids, cache, leftPadding));

    /// <summary>
    /// Logits for final hidden states [.., n_embd]. The head shares the token embedding matrix (weight tying); an int8
    /// table makes it an int8 linear layer.
    /// </summary>
    public Tensor OutputHead(Tensor hidden) =>
        Wte.Quantized is { } table ? Tensor.QuantizedLinear(hidden, table) : Tensor.Linear(hidden, Wte.Weight);

    /// <summary>The final layer-normed hidden states [B, T, n_embd] of the real tokens (what the heads read).</summary>
    public Tensor HiddenStates(Tensor ids, IKvCache? cache = null, int[]? leftPadding = null)
    {
        if (ids.Rank != 2) throw new ArgumentException($"GPT: token ids must be [batch, time], got shape {ShapeUtil.Format(ids.Shape.ToArray())}");
        int b = ids.Shape[0], t = ids.Shape[1];
        int past = cache?.Length ?? 0;
        // Virtual tokens go in front of the first call only; a cache then holds them like any other position.
        int prefix = past == 0 ? VirtualTokens : 0;
        if (past + prefix + t > Config.NPositions)
            throw new ArgumentException($"GPT: {past + prefix + t} positions{(VirtualTokens > 0 ? $" ({VirtualTokens} virtual tokens included)" : "")} exceed the model's context of {Config.NPositions} (n_positions)");
        if (VirtualTokens > 0 && (leftPadding != null || (cache as KvCache)?.Padding != null))
            throw new NotSupportedException("GPT: prompt tuning with left-padded batches is not supported; generate one prompt at a time");
        if (leftPadding != null && leftPadding.Length != b) throw new ArgumentException($"GPT: {leftPadding.Length} padding lengths for a batch of {b}");
        long[] p;
        if (cache != null)
        {
            p = cache.Positions(b, prefix + t, leftPadding);
        }
        else
        {
            p = new long[b * (prefix + t)];
            for (int r = 0; r < b; r++)
                for (int i = 0; i < prefix + t; i++) p[r * (prefix + t) + i] = Math.Max(0, i - (leftPadding?[r] ?? 0));
        }
        var positions = Tensor.FromArray(p, b, prefix + t);
        var embedded = Wte.Forward(ids);
        if (prefix > 0)
        {
            embedded = Tensor.Cat([PromptEmbeddings!.Unsqueeze(0).Expand(ids.Shape[0], prefix, Config.NEmbd), embedded], dim: 1);
        }
        var x = Drop.Forward(embedded.Add(Wpe.Forward(positions)));
        bool recompute = GradientCheckpointing && Training && cache == null;
        for (int i = 0; i < blocks.Count; i++)
        {
            var block = blocks[i];
            int index = i;
            x = RunLayer(block, x, recompute, h => block.Forward(h, cache, index, leftPadding));
        }
        x = LnF.Forward(x);
        // Only real tokens get logits.
        return prefix > 0 ? x.Narrow(1, prefix, t) : x;
    }

    /// <summary>The sequence-classification head (Hugging Face's GPT2ForSequenceClassification "score"), or null.</summary>
    public Linear? Score { get; private set; }

    /// <summary>
    /// Adds a bias-free linear head from the pooled hidden state to one logit per label, and makes the config a
    /// GPT2ForSequenceClassification one (labels, padding id, pooling).
    /// </summary>
    public void AddClassificationHead(IReadOnlyList<string> labels, int padTokenId, string pooling = "last", Generator? generator = null)
    {
        if (Score != null) throw new InvalidOperationException("GPT: the model already has a classification head");
        if (labels.Count < 2) throw new ArgumentException($"GPT: a classifier needs at least 2 labels, got {labels.Count}");
        Config = Config.AsClassifier(labels, padTokenId, pooling);
        Config.Validate("GPT classifier");
        Score = RegisterModule("score", new Linear(Config.NEmbd, labels.Count, bias: false, generator: generator));
        Init.Normal(Score.Weight, 0f, 0.02f, generator);
    }

    /// <summary>Class logits with the pooling the config names (see <see cref="Classify(Tensor, int[], bool)"/>).</summary>
    public Tensor Classify(Tensor ids, int[] lengths) => Classify(ids, lengths, Config.ClassifierPooling == "mean");

    /// <summary>
    /// Class logits [B, labels] for right-padded ids [B, T] whose rows hold <paramref name="lengths"/> real tokens:
    /// the hidden state of each row's last real token (GPT-2's choice: only it has read the whole text), or with
    /// <paramref name="meanPooling"/> the mean over the real tokens.
    /// </summary>
    public Tensor Classify(Tensor ids, int[] lengths, bool meanPooling = false)
    {
        if (Score == null) throw new InvalidOperationException("GPT: the model has no classification head (AddClassificationHead)");
        return ClassifyHidden(HiddenStates(ids), lengths, meanPooling);
    }

    /// <summary>Class logits [B, labels] from final hidden states [B, T, n_embd] (see <see cref="Classify(Tensor, int[], bool)"/>),
    /// for objectives that also read the hidden states for something else (an auxiliary language-model loss).</summary>
    public Tensor ClassifyHidden(Tensor hidden, int[] lengths, bool meanPooling)
    {
        var score = Score ?? throw new InvalidOperationException("GPT: the model has no classification head (AddClassificationHead)");
        int b = hidden.Shape[0], t = hidden.Shape[1];
        if (lengths.Length != b) throw new ArgumentException($"GPT classify: {lengths.Length} lengths for a batch of {b}");
        foreach (int n in lengths)
            if (n < 1 || n > t) throw new ArgumentException($"GPT classify: a row length of {n} is outside 1..{t}");
        Tensor pooled;
        if (meanPooling)
        {
            var weights = new float[b * t];
            for (int r = 0; r < b; r++)
                for (int i = 0; i < lengths[r]; i++) weights[r * t + i] = 1f / lengths[r];
            pooled = hidden.Mul(Tensor.FromArray(weights, b, t, 1)).Sum(1);
        }
        else
        {
            var index = new long[b * Config.NEmbd];
            for (int r = 0; r < b; r++) Array.Fill(index, lengths[r] - 1, r * Config.NEmbd, Config.NEmbd);
            pooled = hidden.Gather(1, Tensor.FromArray(index, b, 1, Config.NEmbd)).Reshape(b, Config.NEmbd);
        }
        return score.Forward(pooled);
    }

    // ISequenceClassifier (GPT2ForSequenceClassification): raw tokens, no special ones, padded with the config's pad id.

    /// <inheritdoc/>
    public string[] Labels => Config.Labels;

    /// <summary>The classification head (<see cref="Score"/>); throws when the model has none.</summary>
    public Module Head => Score ?? throw new InvalidOperationException("GPT: the model has no classification head (AddClassificationHead)");

    /// <summary>The config's pad_token_id, or the tokenizer's end-of-text id when it names none.</summary>
    public int PadId(Data.Text.ITokenizer tokenizer) => Config.PadTokenId ?? tokenizer.EndOfTextId;

    /// <summary>
    /// The text's raw ids (GPT-2 adds no special tokens), cut to <paramref name="maxTokens"/> and the context; an empty
    /// text becomes one pad id.
    /// </summary>
    public int[] Encode(Data.Text.ITokenizer tokenizer, string text, int maxTokens)
    {
        var ids = tokenizer.Encode(text);
        int limit = Math.Min(maxTokens, Config.NPositions);
        return ids.Length == 0 ? [PadId(tokenizer)] : ids[..Math.Min(ids.Length, limit)];
    }

    /// <summary>A cache sized for this model's context and the given batch.</summary>
    public KvCache NewCache(int batch) => NewCache(batch, Config.NPositions);

    /// <inheritdoc/>
    public KvCache NewCache(int batch, int maxLength) =>
        new(Enumerable.Range(0, Config.NLayer).Select(Config.HeadsIn).ToArray(), batch, Math.Min(maxLength + VirtualTokens, Config.NPositions), Config.HeadDim);

    /// <inheritdoc/>
    public string ModelType => Config.ModelType;
    /// <inheritdoc/>
    public int VocabSize => Config.VocabSize;
    /// <inheritdoc/>
    public int ContextLength => Config.NPositions;

    /// <summary>GPT-2 configs name no end-of-sequence id; the tokenizer's end-of-text token plays that part.</summary>
    public IReadOnlyList<int> EosTokenIds => [];
    /// <inheritdoc/>
    public Module Network => this;
    /// <inheritdoc/>
    public int NumLayers => Config.NLayer;
    /// <inheritdoc/>
    public int HiddenSize => Config.NEmbd;

    /// <inheritdoc/>
    public void Save(string directory) => GptFolder.Save(directory, this);

    /// <summary>Whether training recomputes each block in backward (<see cref="ITrainableModel.GradientCheckpointing"/>).</summary>
    public bool GradientCheckpointing { get; set; }

    /// <inheritdoc/>
    public Tensor NextTokenLoss(Tensor ids, Tensor targets, Reduction reduction = Reduction.Mean, long ignoreIndex = -100)
    {
        if (Wte.Quantized != null) return Tensor.CrossEntropy(Forward(ids).Reshape(-1, Config.VocabSize), targets.Reshape(-1), reduction, ignoreIndex);
        var hidden = HiddenStates(ids);                                                 // [B, T, n_embd]
        return Tensor.LinearCrossEntropy(hidden.Reshape(-1, Config.NEmbd), Wte.Weight, targets.Reshape(-1), reduction, ignoreIndex);
    }

    /// <summary>Logits [B, vocab] of the last real position: the output head runs on one row per sequence.</summary>
    public Tensor LastPositionLogits(Tensor ids, IKvCache? cache = null, int[]? leftPadding = null)
    {
        var hidden = HiddenStates(ids, cache, leftPadding);
        int b = hidden.Shape[0], t = hidden.Shape[1];
        return OutputHead(hidden.Narrow(1, t - 1, 1)).Reshape(b, Config.VocabSize);
    }
}

/// <summary>x + attn(ln_1(x)), then x + mlp(ln_2(x)).</summary>
public sealed class GptBlock : Module<Tensor, Tensor>
{
    /// <summary>
    /// Creates the block's two LayerNorms, attention and MLP; <paramref name="layer"/> is the block's index, which
    /// decides how many of its heads are pruned.
    /// </summary>
    public GptBlock(GptConfig config, int layer = 0, Generator? generator = null)
    {
        Ln1 = RegisterModule("ln_1", new LayerNorm(config.NEmbd, config.LayerNormEpsilon));
        Attn = RegisterModule("attn", new CausalSelfAttention(config, layer, generator));
        Ln2 = RegisterModule("ln_2", new LayerNorm(config.NEmbd, config.LayerNormEpsilon));
        Mlp = RegisterModule("mlp", new GptMlp(config, generator));
    }

    /// <summary>ln_1: the LayerNorm applied before attention.</summary>
    public LayerNorm Ln1 { get; }
    /// <summary>attn: causal self-attention.</summary>
    public CausalSelfAttention Attn { get; }
    /// <summary>ln_2: the LayerNorm applied before the MLP.</summary>
    public LayerNorm Ln2 { get; }
    /// <summary>mlp: the feed-forward network.</summary>
    public GptMlp Mlp { get; }

    /// <summary>The block for x [B, T, n_embd]: [B, T, n_embd], without a cache.</summary>
    public override Tensor Forward(Tensor x) => Forward(x, null, 0);

    /// <summary>
    /// The block for x [B, T, n_embd]: [B, T, n_embd]. <paramref name="cache"/> and <paramref name="layer"/> say where
    /// keys and values are kept; <paramref name="leftPadding"/> gives each row's leading padding.
    /// </summary>
    public Tensor Forward(Tensor x, IKvCache? cache, int layer, int[]? leftPadding = null)
    {
        x = x.Add(Attn.Forward(Ln1.Forward(x), cache, layer, leftPadding));
        return x.Add(Mlp.Forward(Ln2.Forward(x)));
    }
}

/// <summary>
/// Multi-head attention where each position sees only itself and earlier positions: softmax(QKᵀ/√d + mask)·V per
/// head, then an output projection. Q, K and V come from one fused projection (c_attn), as in GPT-2.
/// </summary>
public sealed class CausalSelfAttention : Module<Tensor, Tensor>
{
    private readonly int heads;
    private readonly int headDim;

    /// <param name="layer">Which block this is: pruned heads (config pruned_heads) make its projections narrower.</param>
    public CausalSelfAttention(GptConfig config, int layer = 0, Generator? generator = null)
    {
        (heads, headDim) = (config.HeadsIn(layer), config.HeadDim);
        int inner = heads * headDim;
        CAttn = RegisterModule("c_attn", new Conv1D(config.NEmbd, 3 * inner, generator));
        CProj = RegisterModule("c_proj", new Conv1D(inner, config.NEmbd, generator));
        // GPT-2 scales the residual projections by 1/√(2·layers) at initialisation.
        Init.Normal(CProj.Weight, 0f, 0.02f / MathF.Sqrt(2f * config.NLayer), generator);
        AttnDropout = RegisterModule("attn_dropout", new Dropout(config.AttnPdrop));
        ResidDropout = RegisterModule("resid_dropout", new Dropout(config.ResidPdrop));
    }

    /// <summary>c_attn: the fused query, key and value projection, n_embd → 3 × heads × head_dim.</summary>
    public Conv1D CAttn { get; }
    /// <summary>c_proj: the attention's output projection, heads × head_dim → n_embd.</summary>
    public Conv1D CProj { get; }

    /// <summary>Heads this layer computes (n_head less any pruned ones).</summary>
    public int Heads => heads;

    /// <summary>Width of each head, n_embd / n_head (pruning removes heads, not width).</summary>
    public int HeadDim => headDim;

    /// <summary>
    /// attn_dropout: dropout on the attention weights (attn_pdrop), in training without a cache or padding.
    /// </summary>
    public Dropout AttnDropout { get; }
    /// <summary>resid_dropout: dropout on the output projection (resid_pdrop).</summary>
    public Dropout ResidDropout { get; }

    /// <summary>Attention for x [B, T, n_embd]: [B, T, n_embd], without a cache.</summary>
    public override Tensor Forward(Tensor x) => Forward(x, null, 0);

    /// <summary>
    /// Attention for x [B, T, n_embd]: [B, T, n_embd]. With a cache the new keys and values are stored in it under
    /// <paramref name="layer"/> and the queries attend over all it holds; <paramref name="leftPadding"/> gives each
    /// row's leading padding, which no query attends to.
    /// </summary>
    public Tensor Forward(Tensor x, IKvCache? cache, int layer, int[]? leftPadding = null)
    {
        int b = x.Shape[0], t = x.Shape[1], inner = heads * headDim;
        var qkv = CAttn.Forward(x).Split(inner, dim: 2);
        var q = SplitHeads(qkv[0], b, t);
        var k = SplitHeads(qkv[1], b, t);
        var v = SplitHeads(qkv[2], b, t);
        Tensor attended;
        if (cache != null)
        {
            // The cache stores the new keys and values and attends over everything it holds.
            attended = cache.Attend(layer, q, k, v);
            return ResidDropout.Forward(CProj.Forward(attended.Transpose(1, 2).Reshape(b, t, inner)));
        }
        int total = t;
        // Training at short contexts runs faster through GEMMs on the explicit score matrix (and dropout on the
        // weights needs them); inference and long contexts use the fused kernel, which never builds that matrix.
        bool explicitScores = leftPadding == null && ((Training && AttnDropout.P > 0) || (Autograd.NoGrad.IsEnabled && x.RequiresGrad && (long)t * total <= 512L * 512));
        if (explicitScores)
        {
            // Query i (at absolute position past + i) may attend to keys 0 .. past + i; the scores stay inside the op.
            var weights = Tensor.CausalAttentionWeights(q, k, q.DType == DType.Float64 ? 1.0 / Math.Sqrt(headDim) : 1f / MathF.Sqrt(headDim));
            attended = AttnDropout.Forward(weights).MatMul(v);
        }
        else
        {
            attended = Tensor.CausalAttention(q, k, v, keyStart: leftPadding);
        }
        var y = attended.Transpose(1, 2).Reshape(b, t, inner);
        return ResidDropout.Forward(CProj.Forward(y));
    }

    private Tensor SplitHeads(Tensor x, int b, int t) => x.Reshape(b, t, heads, headDim).Transpose(1, 2);
}

/// <summary>c_fc → GELU (tanh form, GPT-2's "gelu_new") → c_proj.</summary>
public sealed class GptMlp : Module<Tensor, Tensor>
{
    private readonly string activation;

    /// <summary>Creates c_fc and c_proj (c_proj initialised smaller, by 1/√(2·n_layer), as GPT-2 does).</summary>
    public GptMlp(GptConfig config, Generator? generator = null)
    {
        activation = config.ActivationFunction;
        CFc = RegisterModule("c_fc", new Conv1D(config.NEmbd, config.Inner, generator));
        CProj = RegisterModule("c_proj", new Conv1D(config.Inner, config.NEmbd, generator));
        Init.Normal(CProj.Weight, 0f, 0.02f / MathF.Sqrt(2f * config.NLayer), generator);
        Dropout = RegisterModule("dropout", new Dropout(config.ResidPdrop));
    }

    /// <summary>c_fc: the MLP's up projection, n_embd → inner.</summary>
    public Conv1D CFc { get; }
    /// <summary>c_proj: the MLP's down projection, inner → n_embd.</summary>
    public Conv1D CProj { get; }
    /// <summary>dropout: dropout on the MLP's output (resid_pdrop).</summary>
    public Dropout Dropout { get; }

    /// <summary>The MLP for x [B, T, n_embd]: [B, T, n_embd], with the config's activation_function.</summary>
    public override Tensor Forward(Tensor x)
    {
        var h = CFc.Forward(x);
        h = activation switch
        {
            "relu" => h.Relu(),
            "gelu" => h.Gelu(),
            _ => h.Gelu(tanhApproximation: true),
        };
        return Dropout.Forward(CProj.Forward(h));
    }
}
