using System.Buffers.Binary;

namespace Sapling.Vision;

/// <summary>JPEG (ITU T.81 / JFIF) with Huffman coding and 8-bit samples: baseline and extended sequential (SOF0, SOF1)
/// and progressive (SOF2); grey or three-component YCbCr (or RGB, per the Adobe marker / component ids as libjpeg decides);
/// any integral chroma subsampling; restart intervals. Decoded pixels reproduce libjpeg-turbo's defaults, which PIL uses:
/// islow IDCT, fancy upsampling, its YCbCr tables.</summary>
internal static class JpegDecoder
{
    private const string Format = "JPEG";

    public static Image Decode(ReadOnlySpan<byte> data, string name, long maxPixels = ImageDecoder.MaxPixels)
    {
        if (data.Length < 2 || data[0] != 0xFF || data[1] != 0xD8) throw Error(name, "missing SOI marker");
        var dqt = new int[4][];
        var dcTables = new JpegHuffman?[4];
        var acTables = new JpegHuffman?[4];
        JpegFrame? frame = null;
        int restartInterval = 0, scans = 0, adobeTransform = -1;
        bool jfif = false;
        int pos = 2;
        while (true)
        {
            // Bytes between segments are an error in the standard; libjpeg skips them with a warning, and so do we.
            while (pos < data.Length && data[pos] != 0xFF) pos++;
            while (pos < data.Length && data[pos] == 0xFF) pos++;
            if (pos >= data.Length) throw Error(name, frame == null ? "file ends before any image data (truncated?)" : "file ends before the EOI marker (truncated?)");
            int marker = data[pos++];
            if (marker == 0xD9) break;                      // EOI
            if (marker is >= 0xD0 and <= 0xD7 or 0x01) continue; // stray RSTn / TEM carry no length
            if (marker == 0xD8) throw Error(name, "second SOI marker");
            if (data.Length - pos < 2) throw Error(name, $"file ends inside the length of marker 0x{marker:X2}");
            int length = BinaryPrimitives.ReadUInt16BigEndian(data[pos..]);
            if (length < 2 || length > data.Length - pos) throw Error(name, $"segment of marker 0x{marker:X2} at byte {pos - 2} claims {length} bytes, the file has {data.Length - pos} left");
            var body = data.Slice(pos + 2, length - 2);
            pos += length;
            switch (marker)
            {
                case 0xC0 or 0xC1 or 0xC2:
                    if (frame != null) throw Error(name, "more than one frame (SOF) marker");
                    frame = ParseFrame(body, marker == 0xC2, name, maxPixels);
                    break;
                case 0xC3 or 0xC7 or 0xCB or 0xCF:
                    throw Error(name, $"lossless JPEG (SOF{marker - 0xC0}) is not supported");
                case 0xC5 or 0xC6 or 0xCD or 0xCE or 0xDE or 0xDF:
                    throw Error(name, $"hierarchical JPEG (marker 0x{marker:X2}) is not supported");
                case 0xC9 or 0xCA:
                    throw Error(name, $"arithmetic-coded JPEG (SOF{marker - 0xC0}) is not supported");
                case 0xCC:
                    throw Error(name, "arithmetic-coded JPEG (DAC marker) is not supported");
                case 0xC4:
                    ParseHuffmanTables(body, dcTables, acTables, name);
                    break;
                case 0xDB:
                    ParseQuantTables(body, dqt, name);
                    break;
                case 0xDD:
                    if (body.Length != 2) throw Error(name, $"DRI segment has {body.Length} bytes, expected 2");
                    restartInterval = BinaryPrimitives.ReadUInt16BigEndian(body);
                    break;
                case 0xDC:
                    throw Error(name, "DNL marker (image height given after the scan) is not supported");
                case 0xDA:
                    if (frame == null) throw Error(name, "scan (SOS) before the frame header (SOF)");
                    var scan = ParseScan(body, frame, dqt, dcTables, acTables, name);
                    pos = JpegScanDecoder.Decode(data, pos, frame, scan, restartInterval, name);
                    scans++;
                    break;
                case 0xE0:
                    jfif |= body.StartsWith("JFIF\0"u8);
                    break;
                case 0xEE:
                    if (body.Length >= 12 && body.StartsWith("Adobe"u8)) adobeTransform = body[11];
                    break;
                default:
                    if (marker is < 0xE0 and not (0xFE or >= 0xF0)) throw Error(name, $"unknown marker 0x{marker:X2} at byte {pos - length - 2}");
                    break; // APPn (EXIF, ICC, ...), COM and JPG extensions carry nothing the pixels need
            }
        }
        if (frame == null || scans == 0) throw Error(name, "no image data before the EOI marker");
        foreach (var c in frame.Components)
            if (!c.Scanned) throw Error(name, $"component {c.Id} never appears in a scan (truncated?)");
        return Render(frame, IsRgb(frame, jfif, adobeTransform));
    }

    private static JpegFrame ParseFrame(ReadOnlySpan<byte> body, bool progressive, string name, long maxPixels)
    {
        if (body.Length < 6) throw Error(name, "frame header (SOF) is too short");
        int precision = body[0], height = BinaryPrimitives.ReadUInt16BigEndian(body[1..]), width = BinaryPrimitives.ReadUInt16BigEndian(body[3..]);
        int count = body[5];
        if (precision != 8) throw Error(name, $"{precision}-bit samples are not supported (only 8-bit)");
        if (height == 0) throw Error(name, "image height 0 (defined later by a DNL marker) is not supported");
        ImageDecoder.CheckSize(name, Format, width, height, maxPixels);
        if (count == 4) throw Error(name, "4-component (CMYK/YCCK) JPEG is not supported");
        if (count is not (1 or 3)) throw Error(name, $"{count} components; only 1 (grey) or 3 (colour) are supported");
        if (body.Length != 6 + 3 * count) throw Error(name, $"frame header has {body.Length} bytes, expected {6 + 3 * count}");
        var frame = new JpegFrame { Width = width, Height = height, Progressive = progressive, Components = new JpegComponent[count] };
        for (int i = 0; i < count; i++)
        {
            var c = body.Slice(6 + 3 * i, 3);
            int h = c[1] >> 4, v = c[1] & 15;
            if (h is < 1 or > 4 || v is < 1 or > 4) throw Error(name, $"component {c[0]} has invalid sampling factors {h}×{v}");
            if (c[2] > 3) throw Error(name, $"component {c[0]} uses quantisation table {c[2]} (0–3 allowed)");
            frame.Components[i] = new JpegComponent { Id = c[0], H = h, V = v, QuantTable = c[2] };
            frame.HMax = Math.Max(frame.HMax, h);
            frame.VMax = Math.Max(frame.VMax, v);
        }
        foreach (var c in frame.Components)
            if (frame.HMax % c.H != 0 || frame.VMax % c.V != 0)
                throw Error(name, $"sampling factors {c.H}×{c.V} of component {c.Id} do not divide {frame.HMax}×{frame.VMax}; non-integral upsampling is not supported");
        frame.Allocate();
        return frame;
    }

    private static void ParseQuantTables(ReadOnlySpan<byte> body, int[][] tables, string name)
    {
        var zigzag = JpegFrame.ZigZag;
        while (body.Length > 0)
        {
            int precision = body[0] >> 4, id = body[0] & 15;
            if (precision > 1 || id > 3) throw Error(name, $"DQT table {id} with precision code {precision}");
            int size = 1 + 64 * (precision + 1);
            if (body.Length < size) throw Error(name, $"DQT table {id} is truncated");
            var table = new int[64];
            for (int k = 0; k < 64; k++)
                table[zigzag[k]] = precision == 0 ? body[1 + k] : BinaryPrimitives.ReadUInt16BigEndian(body[(1 + 2 * k)..]);
            tables[id] = table;
            body = body[size..];
        }
    }

    private static void ParseHuffmanTables(ReadOnlySpan<byte> body, JpegHuffman?[] dc, JpegHuffman?[] ac, string name)
    {
        while (body.Length > 0)
        {
            if (body.Length < 17) throw Error(name, "DHT segment is truncated");
            int cls = body[0] >> 4, id = body[0] & 15;
            if (cls > 1 || id > 3) throw Error(name, $"DHT table class {cls} id {id}");
            var counts = body.Slice(1, 16);
            int total = 0;
            foreach (var n in counts) total += n;
            if (total > 256 || body.Length < 17 + total) throw Error(name, $"DHT table {(cls == 0 ? "DC" : "AC")}{id} declares {total} symbols, which do not fit");
            var table = JpegHuffman.Build(counts, body.Slice(17, total)) ?? throw Error(name, $"DHT table {(cls == 0 ? "DC" : "AC")}{id} is not a valid prefix code");
            (cls == 0 ? dc : ac)[id] = table;
            body = body[(17 + total)..];
        }
    }

    private static JpegScan ParseScan(ReadOnlySpan<byte> body, JpegFrame frame, int[][] dqt, JpegHuffman?[] dc, JpegHuffman?[] ac, string name)
    {
        if (body.Length < 1) throw Error(name, "scan header (SOS) is empty");
        int count = body[0];
        if (count is < 1 or > 4 || body.Length != 4 + 2 * count) throw Error(name, $"scan header with {count} components has {body.Length} bytes");
        int ss = body[1 + 2 * count], se = body[2 + 2 * count], ah = body[3 + 2 * count] >> 4, al = body[3 + 2 * count] & 15;
        if (frame.Progressive)
        {
            bool valid = ss == 0 ? se == 0 : se >= ss && se <= 63 && count == 1;
            if (!valid || ah > 13 || al > 13) throw Error(name, $"invalid progressive scan parameters Ss={ss} Se={se} Ah={ah} Al={al} for {count} components");
        }
        else (ss, se, ah, al) = (0, 63, 0, 0); // libjpeg ignores these for sequential scans
        var comps = new JpegComponent[count];
        int blocks = 0;
        for (int i = 0; i < count; i++)
        {
            int id = body[1 + 2 * i], tables = body[2 + 2 * i];
            var c = Array.Find(frame.Components, x => x.Id == id) ?? throw Error(name, $"scan refers to component {id}, which the frame does not have");
            if (Array.IndexOf(comps, c) >= 0) throw Error(name, $"scan lists component {id} twice");
            int td = tables >> 4, ta = tables & 15;
            if (td > 3 || ta > 3) throw Error(name, $"scan uses Huffman tables DC{td}/AC{ta} (0–3 allowed)");
            bool needDc = !frame.Progressive || (ss == 0 && ah == 0), needAc = !frame.Progressive || ss > 0;
            c.Dc = needDc ? dc[td] ?? throw Error(name, $"component {id} uses DC Huffman table {td}, which is not defined") : c.Dc;
            c.Ac = needAc ? ac[ta] ?? throw Error(name, $"component {id} uses AC Huffman table {ta}, which is not defined") : c.Ac;
            if (c.Quant == null)
                c.Quant = dqt[c.QuantTable] ?? throw Error(name, $"component {id} uses quantisation table {c.QuantTable}, which is not defined");
            c.Scanned = true;
            comps[i] = c;
            blocks += c.H * c.V;
        }
        if (count > 1 && blocks > 10) throw Error(name, $"interleaved scan has {blocks} blocks per MCU (at most 10 allowed)");
        return new JpegScan(comps, ss, se, ah, al);
    }

    /// <summary>libjpeg's default_decompress_parms: JFIF means YCbCr; otherwise the Adobe transform flag decides, then component ids 'R','G','B'.</summary>
    private static bool IsRgb(JpegFrame frame, bool jfif, int adobeTransform)
    {
        if (frame.Components.Length != 3 || jfif) return false;
        if (adobeTransform >= 0) return adobeTransform == 0;
        var c = frame.Components;
        return c[0].Id == 'R' && c[1].Id == 'G' && c[2].Id == 'B';
    }

    private static Image Render(JpegFrame frame, bool rgb)
    {
        int w = frame.Width, h = frame.Height;
        var planes = new byte[frame.Components.Length][];
        Span<int> workspace = stackalloc int[64];
        for (int i = 0; i < planes.Length; i++)
        {
            var c = frame.Components[i];
            int stride = c.StoredWide * 8;
            var samples = new byte[(long)stride * c.StoredHigh * 8];
            var coefficients = c.Coefficients;
            // Blocks past BlocksWide/BlocksHigh only pad the MCU grid; no output sample comes from them.
            for (int by = 0; by < c.BlocksHigh; by++)
                for (int bx = 0; bx < c.BlocksWide; bx++)
                {
                    int block = by * c.StoredWide + bx;
                    Idct.Islow(coefficients.AsSpan(block * 64, 64), c.Quant, workspace, samples, by * 8 * stride + bx * 8, stride);
                }
            c.Coefficients = [];
            var full = new byte[(long)w * h];
            JpegUpsampler.Upsample(samples, stride, c.SampleWidth, c.SampleHeight, frame.HMax / c.H, frame.VMax / c.V, full, w, h);
            planes[i] = full;
        }
        if (planes.Length == 1) return new Image(w, h, 1, planes[0]);
        var pixels = new byte[(long)w * h * 3];
        if (rgb) JpegColor.Interleave(planes[0], planes[1], planes[2], pixels);
        else JpegColor.YCbCrToRgb(planes[0], planes[1], planes[2], pixels);
        return new Image(w, h, 3, pixels);
    }

    private static ImageFormatException Error(string name, string problem) => ImageFormatException.For(name, Format, problem);
}
