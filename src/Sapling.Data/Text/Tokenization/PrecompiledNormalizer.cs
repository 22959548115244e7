using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Sapling.Data.Json;

namespace Sapling.Data.Text.Tokenization;

/// <summary>
/// SentencePiece's compiled normalisation rules (<c>precompiled_charsmap</c>), read as SentencePiece stores them: a
/// little-endian u32 with the size of a Darts double-array trie over UTF-8 bytes, the trie's u32 units, then the
/// NUL-terminated replacement strings the trie's values point into. Text is rewritten grapheme by grapheme exactly as
/// Hugging Face does: a grapheme shorter than 6 UTF-8 bytes is replaced whole when the trie holds any prefix of it
/// (the shortest such prefix's replacement), otherwise each code point is looked up on its own.
/// </summary>
internal sealed class PrecompiledNormalizer : Normalizer
{
    private readonly uint[] trie;
    private readonly byte[] replacements;

    private PrecompiledNormalizer(uint[] trie, byte[] replacements)
    {
        this.trie = trie;
        this.replacements = replacements;
    }

    public static Normalizer FromJson(JsonSection s)
    {
        var encoded = s.OptionalString("precompiled_charsmap");
        if (string.IsNullOrEmpty(encoded)) return new SequenceNormalizer([]);
        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(encoded);
        }
        catch (FormatException)
        {
            throw s.Error("precompiled_charsmap", "is not valid base64");
        }
        if (blob.Length < 4) throw s.Error("precompiled_charsmap", $"holds {blob.Length} bytes, too few for the trie's size");
        uint trieBytes = BinaryPrimitives.ReadUInt32LittleEndian(blob);
        if (trieBytes % 4 != 0 || trieBytes > blob.Length - 4)
            throw s.Error("precompiled_charsmap", $"declares a trie of {trieBytes} bytes in a blob of {blob.Length}");
        var units = new uint[trieBytes / 4];
        for (int i = 0; i < units.Length; i++) units[i] = BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(4 + 4 * i));
        if (units.Length == 0) throw s.Error("precompiled_charsmap", "has an empty trie");
        return new PrecompiledNormalizer(units, blob[(4 + (int)trieBytes)..]);
    }

    public override string Normalize(string text)
    {
        if (text.Length == 0) return text;
        var output = new StringBuilder(text.Length);
        Span<byte> utf8 = stackalloc byte[64];
        bool changed = false;
        int at = 0;
        while (at < text.Length)
        {
            int graphemeLength = StringInfo.GetNextTextElementLength(text.AsSpan(at));
            var grapheme = text.AsSpan(at, graphemeLength);
            at += graphemeLength;
            int byteCount = Encoding.UTF8.GetByteCount(grapheme);
            if (byteCount < 6)
            {
                Encoding.UTF8.GetBytes(grapheme, utf8);
                if (Transform(utf8[..byteCount], output))
                {
                    changed = true;
                    continue;
                }
            }
            for (int i = 0; i < grapheme.Length;)
            {
                CharacterClasses.CodePointAt(grapheme, i, out int length);
                var one = grapheme.Slice(i, length);
                int n = Encoding.UTF8.GetBytes(one, utf8);
                if (Transform(utf8[..n], output)) changed = true;
                else output.Append(one);
                i += length;
            }
        }
        return changed ? output.ToString() : text;
    }

    // Appends the replacement of the shortest prefix of key the trie holds; false when it holds none.
    private bool Transform(ReadOnlySpan<byte> key, StringBuilder output)
    {
        int value = ShortestPrefixValue(key);
        if (value < 0 || value >= replacements.Length) return false;
        int end = Array.IndexOf(replacements, (byte)0, value);
        if (end < 0) end = replacements.Length;
        output.Append(Encoding.UTF8.GetString(replacements, value, end - value));
        return true;
    }

    // Darts-clone's common-prefix search, stopped at the first (shortest) key found.
    private int ShortestPrefixValue(ReadOnlySpan<byte> key)
    {
        long node = Offset(trie[0]);
        foreach (byte c in key)
        {
            if (c == 0) break;
            node ^= c;
            if ((ulong)node >= (ulong)trie.Length) return -1;
            uint unit = trie[node];
            if ((unit & ((1u << 31) | 0xFF)) != c) return -1;
            node ^= Offset(unit);
            if (((unit >> 8) & 1) == 1)
                return (ulong)node < (ulong)trie.Length ? (int)(trie[node] & ((1u << 31) - 1)) : -1;
        }
        return -1;
    }

    private static long Offset(uint unit) => (long)(unit >> 10) << (int)((unit & (1u << 9)) >> 6);
}
