using Sapling.Data;
using Sapling.Inference;
using Sapling.Models;
using Sapling.Data.Text;

namespace Sapling.Training.LanguageModel.Objectives;

/// <summary>
/// Supervised fine-tuning on conversations rendered with the chat template: next-token loss on the assistant's tokens
/// only (everything else is context), examples padded into batches and cut to the context. Validation also asks each
/// held-out question afresh and scores the greedy answer by exact match.
/// </summary>
public sealed class InstructionObjective : ILmObjective
{
    private const long Ignored = -100;
    private const int MaxExactMatchExamples = 100;
    // Exact match judges short answers (a name, a word, a number); long free text is judged by the loss.
    private const int MaxExactMatchAnswerTokens = 16;
    private readonly LmOptions options;
    private readonly ITokenizer tokenizer;
    private readonly ChatTemplate chat;
    private readonly IReadOnlyList<ChatMessage>[] trainExamples;
    private readonly IReadOnlyList<ChatMessage>[] validationExamples;
    private readonly (int[] Ids, bool[] Trained)[] train;
    private readonly (int[] Ids, bool[] Trained)[] validation;

    /// <summary>
    /// Creates the objective over conversations laid out by <paramref name="chat"/>, split by
    /// <c>data.validation_fraction</c>. Refuses a tokenizer without the template's special tokens and data whose
    /// assistant tokens all fall beyond the context.
    /// </summary>
    public InstructionObjective(IReadOnlyList<IReadOnlyList<ChatMessage>> examples, ITokenizer tokenizer, ChatTemplate chat, LmOptions options)
    {
        this.options = options;
        this.tokenizer = tokenizer;
        this.chat = chat;
        if (!chat.HasSpecialTokens(tokenizer)) throw new ArgumentException($"the tokenizer lacks the chat template's special tokens {string.Join(" ", chat.SpecialTokens)}");
        var parts = Splits.Random(examples.Count, [1 - options.ValidationFraction, options.ValidationFraction], options.SplitSeed);
        trainExamples = parts[0].Select(i => examples[(int)i]).ToArray();
        validationExamples = parts[1].Select(i => examples[(int)i]).ToArray();
        if (trainExamples.Length == 0 || validationExamples.Length == 0)
            throw new InvalidDataException($"{examples.Count} examples leave no training or no validation example at validation fraction {options.ValidationFraction}");
        train = trainExamples.Select(Encode).ToArray();
        validation = validationExamples.Select(Encode).ToArray();
        if (options.Packing) train = Pack(train, options.Context + 1, options.SplitSeed);
        // Rows are cut at the context: when no answer token survives the cut, every loss would be 0/0.
        if (!train.Any(e => HasTargetWithin(e.Trained, options.Context)))
            throw new InvalidDataException($"no assistant token of the {train.Length} training conversations falls within the first {options.Context} tokens ({OptionNames.Of(nameof(LmOptions.Context))}): the chat template's markers and the prompts fill it; raise {OptionNames.Of(nameof(LmOptions.Context))} (the model allows up to its own context) or shorten the prompts");
    }

    /// <summary>Whether a row cut to <paramref name="context"/> inputs still predicts a trained token.</summary>
    private static bool HasTargetWithin(bool[] trained, int context)
    {
        for (int t = 1; t < Math.Min(trained.Length, context + 1); t++)
            if (trained[t]) return true;
        return false;
    }

    private (int[] Ids, bool[] Trained) Encode(IReadOnlyList<ChatMessage> example)
    {
        try
        {
            return chat.Encode(tokenizer, example);
        }
        catch (Data.Text.Jinja.JinjaRenderException e)
        {
            var first = example[0].Content;
            throw new InvalidDataException($"the chat template rejects the conversation starting \"{(first.Length > 40 ? first[..40] + "…" : first)}\": {e.Message}", e);
        }
    }

    /// <summary>
    /// Conversations laid end to end (in a seeded order) and cut into rows of <paramref name="rowLength"/> tokens, with
    /// their loss masks, as TRL's packing does: no padding is computed, and a row's later conversations attend to its
    /// earlier ones (the chat template's markers separate them). A conversation longer than a row is cut like any other text.
    /// </summary>
    public static (int[] Ids, bool[] Trained)[] Pack(IReadOnlyList<(int[] Ids, bool[] Trained)> examples, int rowLength, ulong seed)
    {
        if (rowLength < 2) throw new ArgumentOutOfRangeException(nameof(rowLength), $"packed rows need at least 2 tokens, got {rowLength}");
        var order = Enumerable.Range(0, examples.Count).ToArray();
        var g = new Generator(seed);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = (int)(g.NextDouble() * (i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        var ids = new List<int>();
        var trained = new List<bool>();
        foreach (int i in order)
        {
            ids.AddRange(examples[i].Ids);
            trained.AddRange(examples[i].Trained);
        }
        var rows = new List<(int[], bool[])>();
        // Rows overlap by one token, so every token but the first is a target exactly once.
        for (int start = 0; start + 1 < ids.Count; start += rowLength - 1)
        {
            int length = Math.Min(rowLength, ids.Count - start);
            rows.Add((ids.GetRange(start, length).ToArray(), trained.GetRange(start, length).ToArray()));
        }
        return rows.ToArray();
    }

    /// <inheritdoc/>
    public double? BaselineLoss => null;

    /// <summary>The assistant-token mask of an example (ChatML unless another template is given), exposed for tests: true where the loss is taken.</summary>
    public static bool[] LossMask(ITokenizer tokenizer, IReadOnlyList<ChatMessage> example, ChatTemplate? chat = null) => (chat ?? ChatTemplate.ChatMl).Encode(tokenizer, example).Trained;

    /// <inheritdoc/>
    public (Tensor Loss, long Tokens) TrainingLoss(ITrainableModel trainable, long step)
    {
        var model = trainable.AsCausalLM();
        var g = new Generator(options.Seed * 0x9E3779B97F4A7C15UL ^ (ulong)step);
        var batch = new (int[], bool[])[Math.Min(options.BatchSize, train.Length)];
        for (int i = 0; i < batch.Length; i++) batch[i] = train[g.NextInt64(0, train.Length)];
        var (inputs, targets, tokens) = Batch(batch);
        return (model.NextTokenLoss(inputs, targets, ignoreIndex: Ignored), tokens);
    }

    /// <inheritdoc/>
    public LmValidation Validate(ITrainableModel trainable)
    {
        var model = trainable.AsCausalLM();
        model.Network.Eval();
        double sum = 0;
        long count = 0;
        using (Autograd.NoGrad.Enter())
            foreach (var chunk in validation.Chunk(Math.Max(1, options.BatchSize)))
            {
                using var scope = new TensorScope();
                var (inputs, targets, _) = Batch(chunk);
                sum += model.NextTokenLoss(inputs, targets, Reduction.Sum, Ignored).Item();
                count += targets.ToArray<long>().Count(t => t != Ignored);
            }
        return new LmValidation(sum / Math.Max(count, 1), new Dictionary<string, double> { ["exact_match"] = ExactMatch(model) });
    }

    /// <summary>Share of held-out conversations with a short final answer (at most 16 tokens) that the model reproduces
    /// exactly with greedy decoding; NaN when there is none.</summary>
    public double ExactMatch(ICausalLM model)
    {
        var stops = chat.StopIds(tokenizer);
        int asked = 0, right = 0;
        foreach (var example in validationExamples)
        {
            if (asked == MaxExactMatchExamples) break;
            int last = example.Count - 1;
            while (example[last].Role != "assistant") last--;
            var expected = example[last].Content.Trim();
            int answerTokens = tokenizer.Encode(expected).Length;
            if (answerTokens > MaxExactMatchAnswerTokens) continue;
            var prompt = tokenizer.Encode(chat.Render(example.Take(last).ToList(), addGenerationPrompt: true));
            int room = model.ContextLength - model.VirtualTokens - prompt.Length;
            int budget = Math.Min(room, answerTokens + 4);
            if (budget < 1) continue;
            asked++;
            var answer = TextGenerator.Generate(model, prompt, new SamplingOptions { MaxNewTokens = budget, Temperature = 0, StopIds = stops });
            if (tokenizer.Decode(answer.Where(id => !stops.Contains(id)), skipSpecial: true).Trim() == expected) right++;
        }
        return asked == 0 ? double.NaN : (double)right / asked;
    }

    /// <inheritdoc/>
    public string Describe() => $"{trainExamples.Length:N0} training{(options.Packing ? $" (packed into {train.Length:N0} rows of up to {options.Context + 1} tokens)" : "")} and {validation.Length:N0} validation conversations; loss on assistant tokens ({train.Sum(e => e.Trained.Skip(1).Count(t => t)):N0} of {train.Sum(e => e.Ids.Length):N0} training tokens)";

    /// <summary>Inputs and targets [n, T] (right-padded, cut to the context); targets are ignored outside assistant tokens.</summary>
    private (Tensor Inputs, Tensor Targets, long Tokens) Batch((int[] Ids, bool[] Trained)[] examples)
    {
        int length = Math.Max(1, BatchLength.Bucket(examples.Max(e => e.Ids.Length - 1), options.Context));
        int n = examples.Length;
        var inputs = new long[n * length];
        var targets = new long[n * length];
        Array.Fill(targets, Ignored);
        long tokens = 0;
        for (int b = 0; b < n; b++)
        {
            var (ids, trained) = examples[b];
            int used = Math.Min(length, ids.Length - 1);
            for (int t = 0; t < used; t++)
            {
                inputs[b * length + t] = ids[t];
                if (trained[t + 1]) targets[b * length + t] = ids[t + 1];
            }
            tokens += used;
        }
        return (Tensor.FromArray(inputs, n, length), Tensor.FromArray(targets, n, length), tokens);
    }
}
