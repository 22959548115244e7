using Sapling.Inference;

namespace Sapling.Serving.Catalog;

/// <summary>An encoder-decoder (BART, Marian, T5 folder) answering POST /v1/translate, with the search its folder recommends.</summary>
public sealed class ServedTranslator(string id, string directory, Seq2SeqTranslator translator, Seq2SeqGenerationOptions defaults) : ServedModel(id, directory)
{
    /// <summary>The encoder-decoder with its tokenizer.</summary>
    public Seq2SeqTranslator Translator { get; } = translator;

    /// <summary>generation_config.json's (or config.json's) num_beams, max_length and the rest, for requests that leave them out.</summary>
    public Seq2SeqGenerationOptions Defaults { get; } = defaults;

    /// <inheritdoc/>
    public override string Kind => "translation";
}
