namespace Sapling.Vision;

/// <summary>One JPEG Huffman table (ITU T.81 Annex C), with a 9-bit lookup for the common short codes.</summary>
internal sealed class JpegHuffman
{
    private const int FastBits = 9;
    private readonly ushort[] _fast = new ushort[1 << FastBits]; // (length << 8) | symbol, 0 where the code is longer
    private readonly int[] _maxCode = new int[18];               // largest code of each length, -1 if none
    private readonly int[] _valueOffset = new int[17];           // index into _values of a length's codes, minus its first code
    private readonly byte[] _values;

    /// <summary>Builds the table from the 16 code-length counts and the symbols in code order; null when the counts describe no valid prefix code.</summary>
    public static JpegHuffman? Build(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> symbols)
    {
        var table = new JpegHuffman(symbols.ToArray());
        int code = 0, k = 0;
        for (int length = 1; length <= 16; length++)
        {
            int n = counts[length - 1];
            table._valueOffset[length] = k - code;
            if (n > 0)
            {
                for (int i = 0; i < n; i++, k++, code++)
                {
                    if (code >= 1 << length) return null; // more codes than the length allows
                    if (length <= FastBits)
                    {
                        int shift = FastBits - length;
                        for (int fill = 0; fill < 1 << shift; fill++) table._fast[(code << shift) | fill] = (ushort)((length << 8) | symbols[k]);
                    }
                }
                table._maxCode[length] = code - 1;
            }
            else table._maxCode[length] = -1;
            code <<= 1;
        }
        table._maxCode[17] = int.MaxValue;
        return table;
    }

    private JpegHuffman(byte[] values) => _values = values;

    /// <summary>Decodes one symbol; -1 when the next 16 bits start no code of this table.</summary>
    public int Decode(ref JpegBitReader reader)
    {
        int peek = reader.Peek16();
        int entry = _fast[peek >> (16 - FastBits)];
        if (entry != 0)
        {
            reader.Skip(entry >> 8);
            return entry & 0xFF;
        }
        for (int length = FastBits + 1; length <= 16; length++)
        {
            int code = peek >> (16 - length);
            if (code <= _maxCode[length])
            {
                reader.Skip(length);
                return _values[_valueOffset[length] + code];
            }
        }
        return -1;
    }
}
