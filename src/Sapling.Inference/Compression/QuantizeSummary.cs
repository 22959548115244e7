using Sapling.Models;
using Sapling.Models.Classifiers;
using Sapling.Models.Compression;
using Sapling.Models.Gpt;

namespace Sapling.Inference.Compression;

/// <summary>What <see cref="Quantizer.QuantizeFolder"/> did.</summary>
public sealed record QuantizeSummary(string[] Modules, string FloatModules, long BytesBefore, long BytesAfter);
