namespace Sapling.Data.Vision.Codecs;

/// <summary>Netpbm greymaps and pixmaps: P2/P5 (grey) and P3/P6 (RGB), plain or binary, maxval 1–65535, # comments in the header.</summary>
/// <remarks>Samples are scaled to 0–255 as round(v / maxval × 255) with Python's round-half-even, which is what PIL computes.</remarks>
internal static class PnmDecoder
{
    private const string Format = "PNM";

    public static Image Decode(ReadOnlySpan<byte> data, string name, long maxPixels = ImageDecoder.MaxPixels)
    {
        if (data.Length < 2 || data[0] != 'P' || data[1] is not ((byte)'2' or (byte)'3' or (byte)'5' or (byte)'6'))
            throw Error(name, "missing P2/P3/P5/P6 magic number");
        char kind = (char)data[1];
        int channels = kind is '3' or '6' ? 3 : 1;
        bool plain = kind is '2' or '3';
        int pos = 2;
        if (pos >= data.Length || !IsSpace(data[pos]) && data[pos] != '#') throw Error(name, "no whitespace after the magic number");
        long width = HeaderNumber(data, ref pos, name, "width");
        long height = HeaderNumber(data, ref pos, name, "height");
        long maxval = HeaderNumber(data, ref pos, name, "maxval");
        ImageDecoder.CheckSize(name, Format, width, height, maxPixels);
        if (maxval is < 1 or > 65535) throw Error(name, $"maxval {maxval} is outside 1–65535");

        // Exactly one whitespace byte separates the header from binary samples, which may themselves look like whitespace.
        if (pos >= data.Length) throw Error(name, "file ends after the header");
        pos++;

        long count = width * height * channels;
        // Refuse before allocating: binary samples take 1 or 2 bytes, plain ones at least a digit and a separator.
        long minimum = plain ? 2 * count - 1 : count * (maxval < 256 ? 1 : 2);
        if (data.Length - pos < minimum) throw Error(name, $"pixel data is truncated: {width}×{height} needs at least {minimum} bytes, {data.Length - pos} remain");
        var scale = ScaleTable((int)maxval);
        var pixels = new byte[count];
        if (plain) ReadPlain(data, pos, pixels, (int)maxval, scale, name);
        else ReadBinary(data[pos..], pixels, (int)maxval, scale, name);
        return new Image((int)width, (int)height, channels, pixels);
    }

    private static void ReadBinary(ReadOnlySpan<byte> body, byte[] pixels, int maxval, byte[] scale, string name)
    {
        int bytesPerSample = maxval < 256 ? 1 : 2;
        long need = pixels.LongLength * bytesPerSample;
        if (body.Length < need) throw Error(name, $"pixel data is truncated: {body.Length} of {need} bytes");
        for (int i = 0; i < pixels.Length; i++)
        {
            int v = bytesPerSample == 1 ? body[i] : (body[2 * i] << 8) | body[2 * i + 1];
            if (v > maxval) throw Error(name, $"sample {i} is {v}, above maxval {maxval}");
            pixels[i] = scale[v];
        }
    }

    private static void ReadPlain(ReadOnlySpan<byte> data, int pos, byte[] pixels, int maxval, byte[] scale, string name)
    {
        for (int i = 0; i < pixels.Length; i++)
        {
            SkipSpaceAndComments(data, ref pos);
            if (pos >= data.Length) throw Error(name, $"pixel data is truncated: {i} of {pixels.Length} samples");
            long v = 0;
            int start = pos;
            while (pos < data.Length && data[pos] is >= (byte)'0' and <= (byte)'9' && v <= maxval) v = v * 10 + (data[pos++] - '0');
            if (pos == start) throw Error(name, $"unexpected byte 0x{data[pos]:X2} at offset {pos} where sample {i} should be");
            if (v > maxval) throw Error(name, $"sample {i} exceeds maxval {maxval}");
            pixels[i] = scale[v];
        }
    }

    private static long HeaderNumber(ReadOnlySpan<byte> data, ref int pos, string name, string what)
    {
        SkipSpaceAndComments(data, ref pos);
        if (pos >= data.Length) throw Error(name, $"file ends before the {what} in the header");
        long v = 0;
        int start = pos;
        while (pos < data.Length && data[pos] is >= (byte)'0' and <= (byte)'9')
        {
            v = v * 10 + (data[pos++] - '0');
            if (v > int.MaxValue) throw Error(name, $"{what} in the header is too large");
        }
        if (pos == start) throw Error(name, $"expected the {what} at offset {start}, found byte 0x{data[start]:X2}");
        if (pos < data.Length && !IsSpace(data[pos]) && data[pos] != '#') throw Error(name, $"{what} is followed by byte 0x{data[pos]:X2}, not whitespace");
        return v;
    }

    private static void SkipSpaceAndComments(ReadOnlySpan<byte> data, ref int pos)
    {
        while (pos < data.Length)
        {
            if (IsSpace(data[pos])) pos++;
            else if (data[pos] == '#') { while (pos < data.Length && data[pos] != '\n' && data[pos] != '\r') pos++; }
            else break;
        }
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C;

    private static byte[] ScaleTable(int maxval)
    {
        var table = new byte[maxval + 1];
        for (int v = 0; v <= maxval; v++) table[v] = (byte)Math.Round(v / (double)maxval * 255.0, MidpointRounding.ToEven);
        return table;
    }

    private static ImageFormatException Error(string name, string problem) => ImageFormatException.For(name, Format, problem);
}
