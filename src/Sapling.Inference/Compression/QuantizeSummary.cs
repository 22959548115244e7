namespace Sapling.Inference.Compression;

/// <summary>What <see cref="Quantizer.QuantizeFolder"/> did.</summary>
public sealed record QuantizeSummary(string[] Modules, string FloatModules, long BytesBefore, long BytesAfter);
