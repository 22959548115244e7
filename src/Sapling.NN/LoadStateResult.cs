using System.Text;
using Sapling.Autograd;

namespace Sapling.NN;

/// <summary>Keys that <see cref="Module.LoadStateDict"/> did not find in the checkpoint, and keys it did not use.</summary>
public sealed record LoadStateResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys);
