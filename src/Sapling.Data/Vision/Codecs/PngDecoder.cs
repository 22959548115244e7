using System.Buffers.Binary;
using System.IO.Compression;

namespace Sapling.Vision;

/// <summary>PNG per the W3C/ISO specification: every colour type and bit depth, all five filters, Adam7, PLTE and tRNS.</summary>
/// <remarks>Output holds 8 bits per sample: 16-bit samples keep their high byte (PIL does the same for RGB, RGBA and LA);
/// 1/2/4-bit grey is scaled to 0–255. Grey and RGB gain an alpha channel only when tRNS is present.</remarks>
internal static class PngDecoder
{
    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private const string Format = "PNG";

    private sealed class Header
    {
        public int Width, Height, BitDepth, ColorType;
        public bool Interlaced;
        public int SamplesPerPixel => ColorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };
        public int BitsPerPixel => SamplesPerPixel * BitDepth;
        public long RowBytes(int width) => ((long)width * BitsPerPixel + 7) / 8;
    }

    public static Image Decode(ReadOnlySpan<byte> data, string name, long maxPixels = ImageDecoder.MaxPixels)
    {
        if (!data.StartsWith(Signature)) throw Error(name, "missing PNG signature");
        Header? header = null;
        byte[]? palette = null;     // RGB triples
        byte[]? paletteAlpha = null;
        int[]? transparentKey = null; // grey or RGB sample values, at the file's bit depth
        var compressed = new MemoryStream();
        bool sawIdat = false, sawEnd = false;
        int pos = Signature.Length;
        while (!sawEnd)
        {
            if (data.Length - pos < 12) throw Error(name, pos == data.Length ? "file ends before the IEND chunk" : $"file ends inside a chunk header at byte {pos}");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            var typeBytes = data.Slice(pos + 4, 4);
            string type = ChunkName(typeBytes);
            if (length > int.MaxValue || length > data.Length - pos - 12)
                throw Error(name, $"chunk '{type}' at byte {pos} claims {length} bytes but the file has {data.Length - pos - 12} left (truncated?)");
            var body = data.Slice(pos + 8, (int)length);
            uint storedCrc = BinaryPrimitives.ReadUInt32BigEndian(data[(pos + 8 + (int)length)..]);
            uint actualCrc = Crc32.Compute(data.Slice(pos + 4, 4 + (int)length));
            if (storedCrc != actualCrc)
                throw Error(name, $"CRC mismatch in chunk '{type}' at byte {pos} (stored {storedCrc:X8}, computed {actualCrc:X8})");
            pos += 12 + (int)length;

            if (header == null && type != "IHDR") throw Error(name, $"first chunk is '{type}', expected IHDR");
            switch (type)
            {
                case "IHDR":
                    if (header != null) throw Error(name, "second IHDR chunk");
                    header = ParseHeader(body, name, maxPixels);
                    break;
                case "PLTE":
                    if (sawIdat) throw Error(name, "PLTE chunk after IDAT");
                    if (length % 3 != 0 || length == 0 || length > 768) throw Error(name, $"PLTE chunk has {length} bytes, expected 3 to 768 in multiples of 3");
                    if (header!.ColorType is 0 or 4) throw Error(name, $"PLTE chunk in a colour type {header.ColorType} (grey) image");
                    palette = body.ToArray();
                    break;
                case "tRNS":
                    (paletteAlpha, transparentKey) = ParseTransparency(body, header!, palette, name);
                    break;
                case "IDAT":
                    sawIdat = true;
                    compressed.Write(body);
                    break;
                case "IEND":
                    sawEnd = true;
                    break;
                default:
                    // Bit 5 of the first letter marks ancillary chunks, which a decoder may skip; critical ones it must understand.
                    if ((typeBytes[0] & 0x20) == 0) throw Error(name, $"unknown critical chunk '{type}'");
                    break;
            }
        }
        var h = header!;
        if (!sawIdat) throw Error(name, "no IDAT chunk");
        if (h.ColorType == 3 && palette == null) throw Error(name, "palette image (colour type 3) without a PLTE chunk");

        var raw = Inflate(compressed, ExpectedRawSize(h), name);
        return Reconstruct(raw, h, palette, paletteAlpha, transparentKey, name);
    }

    private static Header ParseHeader(ReadOnlySpan<byte> body, string name, long maxPixels)
    {
        if (body.Length != 13) throw Error(name, $"IHDR chunk has {body.Length} bytes, expected 13");
        uint width = BinaryPrimitives.ReadUInt32BigEndian(body);
        uint height = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
        int depth = body[8], colorType = body[9];
        if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue) throw Error(name, $"invalid image size {width}×{height}");
        ImageDecoder.CheckSize(name, Format, width, height, maxPixels);
        bool valid = colorType switch
        {
            0 => depth is 1 or 2 or 4 or 8 or 16,
            3 => depth is 1 or 2 or 4 or 8,
            2 or 4 or 6 => depth is 8 or 16,
            _ => false,
        };
        if (!valid) throw Error(name, $"invalid colour type {colorType} with bit depth {depth}");
        if (body[10] != 0) throw Error(name, $"unknown compression method {body[10]}");
        if (body[11] != 0) throw Error(name, $"unknown filter method {body[11]}");
        if (body[12] > 1) throw Error(name, $"unknown interlace method {body[12]}");
        return new Header { Width = (int)width, Height = (int)height, BitDepth = depth, ColorType = colorType, Interlaced = body[12] == 1 };
    }

    private static (byte[]? PaletteAlpha, int[]? Key) ParseTransparency(ReadOnlySpan<byte> body, Header h, byte[]? palette, string name)
    {
        switch (h.ColorType)
        {
            case 3:
                if (palette == null) throw Error(name, "tRNS chunk before PLTE");
                if (body.Length > palette.Length / 3) throw Error(name, $"tRNS chunk has {body.Length} entries for a palette of {palette.Length / 3}");
                return (body.ToArray(), null);
            case 0:
                if (body.Length != 2) throw Error(name, $"tRNS chunk of a grey image has {body.Length} bytes, expected 2");
                return (null, [BinaryPrimitives.ReadUInt16BigEndian(body)]);
            case 2:
                if (body.Length != 6) throw Error(name, $"tRNS chunk of an RGB image has {body.Length} bytes, expected 6");
                return (null, [BinaryPrimitives.ReadUInt16BigEndian(body), BinaryPrimitives.ReadUInt16BigEndian(body[2..]), BinaryPrimitives.ReadUInt16BigEndian(body[4..])]);
            default:
                throw Error(name, $"tRNS chunk in colour type {h.ColorType}, which already has alpha");
        }
    }

    private static long ExpectedRawSize(Header h)
    {
        if (!h.Interlaced) return (h.RowBytes(h.Width) + 1) * h.Height;
        long total = 0;
        for (int pass = 0; pass < 7; pass++)
        {
            var (w, ph) = Adam7.PassSize(pass, h.Width, h.Height);
            if (w > 0 && ph > 0) total += (h.RowBytes(w) + 1) * ph;
        }
        return total;
    }

    private static byte[] Inflate(MemoryStream compressed, long expected, string name)
    {
        if (expected > Array.MaxLength) throw Error(name, $"decompressed image data would need {expected} bytes");
        // Deflate expands at most ~1032:1, so fewer compressed bytes than this cannot hold the image; checking first avoids a huge allocation.
        if (expected > compressed.Length * 1040 + 1024)
            throw Error(name, $"IDAT data is truncated: {compressed.Length} compressed bytes cannot hold {expected} bytes of image data");
        var raw = new byte[expected];
        compressed.Position = 0;
        int got = 0;
        try
        {
            using var z = new ZLibStream(compressed, CompressionMode.Decompress);
            while (got < raw.Length)
            {
                int n = z.Read(raw, got, raw.Length - got);
                if (n == 0) break;
                got += n;
            }
        }
        catch (InvalidDataException e)
        {
            throw new ImageFormatException($"{name}: {Format}: corrupt zlib stream in IDAT after {got} bytes: {e.Message}", e);
        }
        if (got < raw.Length) throw Error(name, $"IDAT data ends early: {got} of {raw.Length} decompressed bytes");
        return raw;
    }

    private static Image Reconstruct(byte[] raw, Header h, byte[]? palette, byte[]? paletteAlpha, int[]? key, string name)
    {
        bool hasAlpha = h.ColorType is 4 or 6 || paletteAlpha != null || key != null;
        int channels = (h.ColorType is 0 or 4 ? 1 : 3) + (hasAlpha ? 1 : 0);
        var pixels = new byte[(long)h.Width * h.Height * channels];
        var expander = new PngRowExpander(h.ColorType, h.BitDepth, channels, palette, paletteAlpha, key);
        int bpp = Math.Max(1, h.BitsPerPixel / 8);
        long offset = 0;
        for (int pass = 0; pass < (h.Interlaced ? 7 : 1); pass++)
        {
            var (w, ph) = h.Interlaced ? Adam7.PassSize(pass, h.Width, h.Height) : (h.Width, h.Height);
            if (w == 0 || ph == 0) continue;
            int x0 = h.Interlaced ? Adam7.StartX[pass] : 0, dx = h.Interlaced ? Adam7.StepX[pass] : 1;
            int y0 = h.Interlaced ? Adam7.StartY[pass] : 0, dy = h.Interlaced ? Adam7.StepY[pass] : 1;
            int rowBytes = (int)h.RowBytes(w);
            var zeros = new byte[rowBytes];
            for (int r = 0; r < ph; r++)
            {
                int filter = raw[offset];
                var row = raw.AsSpan((int)offset + 1, rowBytes);
                ReadOnlySpan<byte> previous = r == 0 ? zeros : raw.AsSpan((int)offset - rowBytes, rowBytes);
                if (!PngFilters.Unfilter(filter, row, previous, bpp))
                    throw Error(name, $"unknown filter type {filter} on row {r}{(h.Interlaced ? $" of interlace pass {pass + 1}" : "")}");
                long dst = ((long)(y0 + r * dy) * h.Width + x0) * channels;
                expander.Expand(row, w, pixels, dst, dx * channels);
                offset += rowBytes + 1;
            }
        }
        return new Image(h.Width, h.Height, channels, pixels, validateChannels: false);
    }

    private static string ChunkName(ReadOnlySpan<byte> type)
    {
        Span<char> chars = stackalloc char[4];
        for (int i = 0; i < 4; i++) chars[i] = type[i] is >= 0x20 and < 0x7F ? (char)type[i] : '?';
        return new string(chars);
    }

    private static ImageFormatException Error(string name, string problem) => ImageFormatException.For(name, Format, problem);
}
