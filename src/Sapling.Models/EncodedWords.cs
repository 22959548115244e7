namespace Sapling.Models;

/// <summary>A sentence given as words, as an encoder reads it: its ids (special tokens included) and, for each word,
/// the position of its first sub-word token, or -1 when truncation cut the word off or it has no tokens.</summary>
public sealed record EncodedWords(int[] Ids, int[] WordStarts);
