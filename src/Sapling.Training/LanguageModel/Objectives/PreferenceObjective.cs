using Sapling.Data;
using Sapling.Models;
using Sapling.Data.Text;

namespace Sapling.Training.LanguageModel.Objectives;

/// <summary>
/// Direct Preference Optimization (Rafailov et al., 2023): with the response log-likelihoods π of the model and ρ of a
/// frozen reference, loss = −log σ(β·[(π_chosen − ρ_chosen) − (π_rejected − ρ_rejected)]). The implicit reward of a
/// response is β·(π − ρ); reward accuracy is how often the chosen response earns the larger one.
/// </summary>
public sealed class PreferenceObjective : ILmObjective
{
    private readonly LmOptions options;
    private readonly Encoded[] train;
    private readonly Encoded[] validation;

    /// <summary>A pair as token ids: prompt and each response (ending in end-of-text), with the reference's log-likelihoods.</summary>
    private sealed record Encoded(int[] Prompt, int[] Chosen, int[] Rejected)
    {
        public double ReferenceChosen { get; set; }
        public double ReferenceRejected { get; set; }
    }

    private readonly ITokenizer tokenizer;
    private readonly ICausalLM reference;

    /// <summary>
    /// Creates the DPO objective over at least 2 pairs, split by prompt. <paramref name="reference"/> is the frozen
    /// model the policy is kept near; its log-likelihoods of every response are computed once.
    /// </summary>
    public PreferenceObjective(IReadOnlyList<PreferencePair> pairs, ITokenizer tokenizer, ICausalLM reference, LmOptions options)
    {
        this.options = options;
        this.tokenizer = tokenizer;
        this.reference = reference;
        if (pairs.Count < 2) throw new InvalidDataException($"preference tuning needs at least 2 pairs, got {pairs.Count}");
        var encoded = Encode(pairs);
        // Split by prompt, so pairs that share a prompt (several rejected answers to one question) never sit on both sides.
        var prompts = pairs.Select(p => p.Prompt).Distinct(StringComparer.Ordinal).ToArray();
        var side = new Dictionary<string, int>(StringComparer.Ordinal);
        var parts = Splits.Random(prompts.Length, [1 - options.ValidationFraction, options.ValidationFraction], options.SplitSeed);
        for (int part = 0; part < parts.Length; part++)
            foreach (long i in parts[part]) side[prompts[i]] = part;
        train = encoded.Where((_, i) => side[pairs[i].Prompt] == 0).ToArray();
        validation = encoded.Where((_, i) => side[pairs[i].Prompt] == 1).ToArray();
        HeldOutPrompts = side.Where(e => e.Value == 1).Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        if (train.Length == 0 || validation.Length == 0) throw new InvalidDataException($"{pairs.Count} pairs ({prompts.Length} prompts) leave no training or no validation pair at validation fraction {options.ValidationFraction}");
    }

    /// <summary>The prompts whose pairs are held out for validation (all pairs of a prompt sit on one side).</summary>
    public IReadOnlySet<string> HeldOutPrompts { get; }

    /// <summary>Mean DPO loss, reward accuracy and margin of <paramref name="model"/> on any pairs.</summary>
    public LmValidation Evaluate(ICausalLM model, IReadOnlyList<PreferencePair> pairs) => Evaluate(model, Encode(pairs));

    private Encoded[] Encode(IReadOnlyList<PreferencePair> pairs)
    {
        var encoded = pairs.Select(p => new Encoded(
            [tokenizer.EndOfTextId, .. tokenizer.Encode(p.Prompt)],
            [.. tokenizer.Encode(p.Chosen), tokenizer.EndOfTextId],
            [.. tokenizer.Encode(p.Rejected), tokenizer.EndOfTextId])).ToArray();
        // The reference never changes: score every pair once (as TRL's precompute_ref_log_probs does).
        reference.Network.Eval();
        using var _ = Autograd.NoGrad.Enter();
        foreach (var batch in encoded.Chunk(Math.Max(1, options.BatchSize)))
        {
            using var scope = new TensorScope();
            var logp = ResponseLogLikelihoods(reference, batch).ToArray();
            for (int i = 0; i < batch.Length; i++)
            {
                batch[i].ReferenceChosen = logp[i];
                batch[i].ReferenceRejected = logp[batch.Length + i];
            }
        }
        return encoded;
    }

    /// <inheritdoc/>
    public double? BaselineLoss => Math.Log(2); // the loss at the start, where the model equals the reference

    /// <inheritdoc/>
    public string BaselineName => "log 2 (the reference)";

    /// <inheritdoc/>
    public bool LossIsPerplexity => false;

    /// <inheritdoc/>
    public (Tensor Loss, long Tokens) TrainingLoss(ITrainableModel trainable, long step)
    {
        var model = trainable.AsCausalLM();
        // Dropout off, as TRL's DPO trainer does by default: the reference scores without it, and dropout noise in the
        // policy's log-likelihoods would read as reward.
        model.Network.Eval();
        var g = new Generator(options.Seed * 0x9E3779B97F4A7C15UL ^ (ulong)step);
        var batch = new Encoded[Math.Min(options.BatchSize, train.Length)];
        for (int i = 0; i < batch.Length; i++) batch[i] = train[g.NextInt64(0, train.Length)];
        var (loss, _, _) = Loss(model, batch);
        return (loss, batch.Sum(p => (long)p.Prompt.Length * 2 + p.Chosen.Length + p.Rejected.Length));
    }

    /// <inheritdoc/>
    public LmValidation Validate(ITrainableModel model) => Evaluate(model.AsCausalLM(), validation);

    private LmValidation Evaluate(ICausalLM model, Encoded[] pairs)
    {
        model.Network.Eval();
        using var _ = Autograd.NoGrad.Enter();
        double loss = 0, accuracy = 0, margin = 0;
        foreach (var batch in pairs.Chunk(Math.Max(1, options.BatchSize)))
        {
            using var scope = new TensorScope();
            var (l, chosen, rejected) = Loss(model, batch);
            loss += l.Item() * batch.Length;
            var c = chosen.ToArray();
            var r = rejected.ToArray();
            for (int i = 0; i < batch.Length; i++)
            {
                if (c[i] > r[i]) accuracy++;
                margin += c[i] - r[i];
            }
        }
        int n = pairs.Length;
        return new LmValidation(loss / n, new Dictionary<string, double> { ["reward_accuracy"] = accuracy / n, ["reward_margin"] = margin / n });
    }

    /// <inheritdoc/>
    public string Describe() => $"{train.Length:N0} training and {validation.Length:N0} validation preference pairs; DPO with β = {options.DpoBeta}";

    /// <summary>The mean DPO loss of a batch, and the implicit rewards of its chosen and rejected responses.</summary>
    private (Tensor Loss, Tensor ChosenRewards, Tensor RejectedRewards) Loss(ICausalLM model, Encoded[] batch)
    {
        int n = batch.Length;
        var logp = ResponseLogLikelihoods(model, batch);
        var reference = new float[2 * n];
        for (int i = 0; i < n; i++) (reference[i], reference[n + i]) = ((float)batch[i].ReferenceChosen, (float)batch[i].ReferenceRejected);
        var rewards = logp.Sub(Tensor.FromArray(reference, 2 * n)).Mul(options.DpoBeta);
        var chosen = rewards.Narrow(0, 0, n);
        var rejected = rewards.Narrow(0, n, n);
        // −log σ(z) = −log_softmax([z, 0])₀, stable for any z.
        var z = chosen.Sub(rejected);
        var logSigmoid = Tensor.Stack([z, Tensor.Zeros(n)], dim: 1).LogSoftmax(-1).Narrow(1, 0, 1);
        return (logSigmoid.Mean().Neg(), chosen, rejected);
    }

    /// <summary>
    /// Sum of log p(response token | everything before it) for the chosen responses of the batch, then the rejected
    /// ones: [2n]. Sequences are prompt + response, right-padded; a prompt too long for the context loses its start.
    /// </summary>
    private Tensor ResponseLogLikelihoods(ICausalLM model, Encoded[] batch)
    {
        int n = batch.Length;
        int context = Math.Min(options.Context, model.ContextLength - model.VirtualTokens);
        var sequences = new List<(int[] Prompt, int[] Response)>(2 * n);
        foreach (var p in batch) sequences.Add((p.Prompt, p.Chosen));
        foreach (var p in batch) sequences.Add((p.Prompt, p.Rejected));
        int length = BatchLength.Bucket(sequences.Max(s => s.Prompt.Length + s.Response.Length), context);
        var inputs = new long[2 * n * length];
        var targets = new long[2 * n * length];
        var mask = new float[2 * n * length];
        for (int s = 0; s < sequences.Count; s++)
        {
            var (prompt, response) = sequences[s];
            // Keep at least one prompt token (it predicts the first response token) and as much response as fits.
            int responseKept = Math.Min(response.Length, length - 1);
            int promptKept = Math.Min(prompt.Length, length - responseKept);
            var tokens = prompt[^promptKept..].Concat(response[..responseKept]).ToArray();
            for (int t = 0; t < tokens.Length - 1; t++)
            {
                inputs[s * length + t] = tokens[t];
                targets[s * length + t] = tokens[t + 1];
                if (t + 1 >= promptKept) mask[s * length + t] = 1f;
            }
        }
        var logits = model.Forward(Tensor.FromArray(inputs, 2 * n, length));
        var tokenLogp = logits.LogSoftmax(-1).Gather(2, Tensor.FromArray(targets, 2 * n, length, 1)).Reshape(2 * n, length);
        return tokenLogp.Mul(Tensor.FromArray(mask, 2 * n, length)).Sum(1);
    }
}
