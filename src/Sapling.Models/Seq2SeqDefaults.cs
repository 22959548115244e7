
namespace Sapling.Models;

/// <summary>Generation settings a sequence-to-sequence config carries (transformers reads them from config.json).</summary>
/// <param name="ForcedBosTokenId">Forced as the first generated token (BART: bos); null: none.</param>
/// <param name="ForcedEosTokenId">Forced as the last token when a target reaches its length limit; null: none.</param>
/// <param name="BadWordIds">Tokens never generated (Marian: its pad).</param>
public sealed record Seq2SeqDefaults(int? ForcedBosTokenId, int? ForcedEosTokenId, IReadOnlyList<int> BadWordIds);
