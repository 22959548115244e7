
namespace Sapling.Inference;

/// <summary>One generated target: its tokens after the decoder's start token (eos last when the target finished), and
/// for beam search the length-normalised log-probability it won with.</summary>
public sealed record GeneratedTarget(int[] Tokens, double? Score);
