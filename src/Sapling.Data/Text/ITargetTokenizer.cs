namespace Sapling.Data.Text;

/// <summary>
/// A translation tokenizer whose target side is cut differently from its source (Marian's target.spm): training encodes
/// targets through <see cref="EncodeTarget"/> (transformers' text_target), sources through <see cref="ITokenizer.Encode(string)"/>.
/// </summary>
public interface ITargetTokenizer
{
    /// <summary>Target text's ids, with the end token when <paramref name="addSpecialTokens"/>.</summary>
    int[] EncodeTarget(string text, bool addSpecialTokens);
}
