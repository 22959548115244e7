using Sapling.Models;
using Sapling.Models.Bart;
using Sapling.Models.T5;
using Sapling.Data.Text;

namespace Sapling.Training.LanguageModel.Objectives;

/// <summary>New encoder-decoders for method seq2seq from scratch (model.architecture marian, bart or t5), sized by model.*.</summary>
public static class Seq2SeqModels
{
    /// <summary>The padding token added to a vocabulary learnt from the pairs.</summary>
    public const string PadToken = "<pad>";

    /// <summary>
    /// An encoder-decoder of the configured architecture: model.width wide, model.layers deep on each side, model.heads
    /// heads, a feed-forward 4× the width; positions enough for the longest source and target. Padding is its own token
    /// and the tokenizer's end-of-text ends targets. Marian starts the decoder from pad, BART from eos, T5 from pad.
    /// </summary>
    public static ISeq2SeqLM New(LmOptions options, ITokenizer tokenizer, Generator generator)
    {
        int pad = tokenizer.IdOf(PadToken), eos = tokenizer.EndOfTextId;
        if (pad < 0 || eos < 0) throw new InvalidDataException($"the tokenizer needs {PadToken} and an end-of-text token to train an encoder-decoder");
        int positions = Math.Max(options.MaxSourceLength, options.MaxTargetLength);
        // Denoising pre-training reads whole windows, and its sources may hold a few inserted masks besides.
        if (options.Method == TrainingMethod.Pretrain) positions = Math.Max(positions, 2 * options.Context);
        return options.Architecture switch
        {
            "marian" or "bart" => new BartForConditionalGeneration(new BartConfig
            {
                ModelType = options.Architecture == "marian" ? BartConfig.MarianType : BartConfig.Type,
                VocabSize = tokenizer.VocabSize, DModel = options.Width, EncoderLayers = options.Layers, DecoderLayers = options.Layers,
                EncoderAttentionHeads = options.Heads, DecoderAttentionHeads = options.Heads, EncoderFfnDim = 4 * options.Width, DecoderFfnDim = 4 * options.Width,
                ActivationFunction = options.Architecture == "marian" ? "swish" : "gelu", MaxPositionEmbeddings = positions,
                ScaleEmbedding = options.Architecture == "marian", Dropout = options.Dropout,
                PadTokenId = pad, BosTokenId = null, EosTokenId = eos, DecoderStartTokenId = options.Architecture == "marian" ? pad : eos, ForcedEosTokenId = eos,
                BadWordIds = options.Architecture == "marian" ? [pad] : [],
            }, generator),
            "t5" => new T5ForConditionalGeneration(new T5Config
            {
                VocabSize = tokenizer.VocabSize, DModel = options.Width, DKv = options.Width / options.Heads, DFf = 4 * options.Width,
                NumLayers = options.Layers, NumDecoderLayers = options.Layers, NumHeads = options.Heads, DropoutRate = options.Dropout,
                PadTokenId = pad, EosTokenId = eos, DecoderStartTokenId = pad,
            }, generator),
            var other => throw new ArgumentException($"{OptionNames.Of(nameof(LmOptions.Architecture))} '{other}' is not an encoder-decoder (marian, bart, t5)"),
        };
    }
}
