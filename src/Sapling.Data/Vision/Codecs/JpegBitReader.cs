namespace Sapling.Vision;

/// <summary>Reads the entropy-coded bits of a JPEG scan: removes 0xFF00 byte stuffing and stops at the next marker.</summary>
/// <remarks>Past a marker or the end of the file it supplies zero bits so that lookahead never fails, and counts them:
/// consuming one of those bits means the scan's data really ran out, which is an error, not a reason to invent pixels.</remarks>
internal ref struct JpegBitReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly string _name;
    private int _pos;
    private ulong _buffer;   // next bit in the top position
    private int _count;      // bits held in _buffer
    private int _padding;    // invented bits at the tail of _buffer
    private bool _atMarker;

    public JpegBitReader(ReadOnlySpan<byte> data, int position, string name)
    {
        _data = data;
        _pos = position;
        _name = name;
    }

    /// <summary>Offset of the first byte not yet taken into the bit buffer.</summary>
    public readonly int Position => _pos;

    public int Peek16()
    {
        if (_count < 16) Fill();
        return (int)(_buffer >> 48);
    }

    public void Skip(int n)
    {
        _buffer <<= n;
        _count -= n;
        if (_count < _padding) throw new ImageFormatException($"{_name}: JPEG: entropy-coded data ends early at byte {_pos} (file truncated or corrupt)");
    }

    public int Bit()
    {
        if (_count < 1) Fill();
        int bit = (int)(_buffer >> 63);
        Skip(1);
        return bit;
    }

    /// <summary>The next <paramref name="n"/> (0–16) bits as an unsigned number.</summary>
    public int Bits(int n)
    {
        if (n == 0) return 0;
        if (_count < n) Fill();
        int v = (int)(_buffer >> (64 - n));
        Skip(n);
        return v;
    }

    /// <summary>T.81's RECEIVE followed by EXTEND: <paramref name="n"/> bits as a signed coefficient difference.</summary>
    public int Signed(int n)
    {
        if (n == 0) return 0;
        int v = Bits(n);
        return v < 1 << (n - 1) ? v - (1 << n) + 1 : v;
    }

    /// <summary>Drops the partial byte before a restart marker, then consumes RSTn with n = <paramref name="index"/>.</summary>
    public void Restart(int index)
    {
        _buffer = 0;
        _count = _padding = 0;
        _atMarker = false;
        // Encoders sometimes leave junk before the marker; libjpeg skips it too.
        while (_pos < _data.Length && !(_data[_pos] == 0xFF && _pos + 1 < _data.Length && _data[_pos + 1] is not (0x00 or 0xFF))) _pos++;
        if (_pos + 1 >= _data.Length) throw new ImageFormatException($"{_name}: JPEG: file ends where restart marker RST{index} should be");
        int marker = _data[_pos + 1];
        if (marker != 0xD0 + index)
            throw new ImageFormatException($"{_name}: JPEG: expected restart marker RST{index} at byte {_pos}, found marker 0x{marker:X2}");
        _pos += 2;
    }

    private void Fill()
    {
        while (_count <= 56)
        {
            ulong b = 0;
            if (!_atMarker && _pos < _data.Length)
            {
                byte x = _data[_pos];
                if (x != 0xFF) { b = x; _pos++; }
                else if (_pos + 1 < _data.Length && _data[_pos + 1] == 0x00) { b = 0xFF; _pos += 2; }
                else _atMarker = true;
            }
            else _atMarker = true;
            if (_atMarker) _padding += 8;
            _buffer |= b << (56 - _count);
            _count += 8;
        }
    }
}
