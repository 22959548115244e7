using Sapling.Models;
using Sapling.Models.Bert;
using Sapling.Data.Text;

namespace Sapling.Training.LanguageModel.Objectives;

/// <summary>
/// Masked-language-model pre-training (Devlin et al., 2019, §3.1): windows of the token stream (documents joined by
/// [SEP], as RoBERTa packs full sentences) start with [CLS]; 15% of the other positions are chosen (or of the words, all
/// their pieces together, with whole-word masking), of which 80% become [MASK], 10% a random token and 10% stay, and the
/// loss is the cross-entropy of the original token at the chosen positions only. Validation masks fixed windows with a fixed seed, so its loss is comparable from step to step.
/// </summary>
public sealed class MaskedLmObjective : ILmObjective
{
    private readonly TokenData data;
    private readonly LmOptions options;
    private readonly int clsId, sepId, maskId, padId, vocabSize;

    /// <summary>With whole-word masking, which ids continue the word before them (WordPiece's "##" pieces); null without.</summary>
    private readonly bool[]? continues;

    /// <summary>
    /// Creates the objective; the tokenizer must hold [CLS], [SEP], [MASK] and [PAD] (a WordPiece vocabulary does).
    /// </summary>
    public MaskedLmObjective(TokenData data, ITokenizer tokenizer, LmOptions options)
    {
        (this.data, this.options, vocabSize) = (data, options, tokenizer.VocabSize);
        int Special(string token) => tokenizer.IdOf(token) is >= 0 and var id ? id
            : throw new InvalidDataException($"masked-LM pre-training needs a {token} token; the tokenizer has none (train a WordPiece vocabulary: {OptionNames.Of(nameof(LmOptions.Tokenizer))} wordpiece)");
        (clsId, sepId, maskId, padId) = (Special("[CLS]"), Special("[SEP]"), Special("[MASK]"), Special("[PAD]"));
        BaselineLoss = data.UnigramBaselineLoss(vocabSize);
        if (options.WholeWordMask) continues = ContinuationPieces(tokenizer);
    }

    /// <summary>The ids whose token continues a word ("##ing"); refused for vocabularies that do not mark them so.</summary>
    private static bool[] ContinuationPieces(ITokenizer tokenizer)
    {
        var pipeline = tokenizer as Data.Text.Tokenization.PipelineTokenizer;
        var continues = new bool[tokenizer.VocabSize];
        bool any = false;
        for (int id = 0; id < continues.Length && pipeline != null; id++)
            any |= continues[id] = pipeline.TokenOf(id) is { } token && token.StartsWith("##", StringComparison.Ordinal) && token.Length > 2;
        if (!any) throw new NotSupportedException($"{OptionNames.Of(nameof(LmOptions.WholeWordMask))} needs a WordPiece vocabulary, whose word-continuing pieces start with ##; this tokenizer has none");
        return continues;
    }

    /// <inheritdoc/>
    public double? BaselineLoss { get; }

    /// <inheritdoc/>
    public bool WritesText => false;

    /// <inheritdoc/>
    public (Tensor Loss, long Tokens) TrainingLoss(ITrainableModel model, long step)
    {
        var (windows, _) = data.TrainBatch(options.BatchSize, options.Context - 1, options.Seed, step);
        var (inputs, labels) = Mask(windows, new Generator(options.Seed * 0xD1B54A32D192ED03UL ^ (ulong)step));
        return (Mlm(model).MaskedLmLoss(inputs, labels), inputs.NumEl);
    }

    /// <inheritdoc/>
    public LmValidation Validate(ITrainableModel model)
    {
        var mlm = Mlm(model);
        mlm.Eval();
        using var _ = Autograd.NoGrad.Enter();
        double sum = 0;
        long count = 0;
        int batch = 0;
        foreach (var (windows, _) in TokenData.Windows(data.Validation, options.BatchSize, options.Context - 1, options.EvalBatches))
        {
            using var scope = new TensorScope();
            var (inputs, labels) = Mask(windows, new Generator(0x5EED_0000UL + (ulong)batch++));
            sum += mlm.MaskedLmLoss(inputs, labels, reduction: Reduction.Sum).Item();
            count += labels.ToArray<long>().Count(l => l != -100);
        }
        return LmValidation.OfLoss(sum / Math.Max(count, 1));
    }

    /// <inheritdoc/>
    public string Describe() => $"masked-LM pre-training (15% of {(continues != null ? "whole words" : "tokens")}: 80% [MASK], 10% random, 10% kept) on {data.TrainLength:N0} training tokens, {data.Validation.Length:N0} validation tokens; unigram baseline loss {BaselineLoss:F3}";

    private static BertForMaskedLM Mlm(ITrainableModel model) => model as BertForMaskedLM
        ?? throw new NotSupportedException($"masked-LM pre-training trains a BertForMaskedLM ({OptionNames.Of(nameof(LmOptions.Architecture))} bert), not model_type '{model.ModelType}'");

    /// <summary>[CLS] + each window, with 15% of the positions chosen and replaced; labels -100 where nothing is predicted.</summary>
    internal (Tensor Inputs, Tensor Labels) Mask(Tensor windows, Generator g)
    {
        int b = windows.Shape[0], w = windows.Shape[1], t = w + 1;
        var source = windows.ToArray<long>();
        var ids = new long[b * t];
        var labels = new long[b * t];
        Array.Fill(labels, -100L);
        int chosen = 0;
        for (int r = 0; r < b; r++)
        {
            ids[r * t] = clsId;
            bool wordChosen = false;
            for (int i = 0; i < w; i++)
            {
                long token = source[r * w + i];
                int at = r * t + i + 1;
                ids[at] = token;
                if (token == sepId || token == padId) { wordChosen = false; continue; }
                // Whole-word masking (Google's BERT release, transformers' DataCollatorForWholeWordMask): a word's pieces
                // are chosen together, by the draw of its first piece; what replaces each piece is still drawn per piece.
                wordChosen = continues != null && i > 0 && continues[token] ? wordChosen : g.NextDouble() < 0.15;
                if (!wordChosen) continue;
                labels[at] = token;
                chosen++;
                double roll = g.NextDouble();
                if (roll < 0.8) ids[at] = maskId;
                else if (roll < 0.9) ids[at] = g.NextInt64(0, vocabSize);
            }
        }
        // A batch with nothing chosen would have no loss: predict its first real token.
        if (chosen == 0) { labels[1] = ids[1]; ids[1] = maskId; }
        return (Tensor.FromArray(ids, b, t), Tensor.FromArray(labels, b, t));
    }
}
