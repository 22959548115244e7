namespace Sapling.Models;

/// <summary>The head a fine-tuning run adds: its labels, the id that pads a batch, the pooling (GPT: last or mean), its initialisation.</summary>
public sealed record NewClassifierHead(IReadOnlyList<string> Labels, int PadId, string Pooling, Generator Generator);
