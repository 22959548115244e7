namespace Sapling.Vision;

/// <summary>The header of one scan (SOS): which components it carries and, for progressive JPEG, which bits of which coefficients.</summary>
internal readonly record struct JpegScan(JpegComponent[] Components, int Ss, int Se, int Ah, int Al);

/// <summary>Huffman-decodes one scan's entropy-coded data into the components' coefficient arrays: sequential scans
/// (T.81 F.2) and the four kinds of progressive scan (G.1.2: DC first/refine, AC first/refine).</summary>
internal static class JpegScanDecoder
{
    /// <returns>The offset just past the scan's data, where the next marker should start.</returns>
    public static int Decode(ReadOnlySpan<byte> data, int position, JpegFrame frame, JpegScan scan, int restartInterval, string name)
    {
        var reader = new JpegBitReader(data, position, name);
        var state = new State(scan, name);
        var comps = scan.Components;
        bool single = comps.Length == 1;
        long mcus = single ? (long)comps[0].BlocksWide * comps[0].BlocksHigh : (long)frame.McusWide * frame.McusHigh;
        int restarts = 0;
        foreach (var c in comps) c.DcPredictor = 0;

        for (long m = 0; m < mcus; m++)
        {
            if (restartInterval > 0 && m > 0 && m % restartInterval == 0)
            {
                reader.Restart(restarts++ & 7);
                foreach (var c in comps) c.DcPredictor = 0;
                state.EobRun = 0;
            }
            if (single)
            {
                var c = comps[0];
                long bx = m % c.BlocksWide, by = m / c.BlocksWide;
                DecodeBlock(ref reader, ref state, frame, c, (int)((by * c.StoredWide + bx) * 64));
            }
            else
            {
                long mx = m % frame.McusWide, my = m / frame.McusWide;
                foreach (var c in comps)
                    for (int v = 0; v < c.V; v++)
                        for (int h = 0; h < c.H; h++)
                            DecodeBlock(ref reader, ref state, frame, c, (int)(((my * c.V + v) * c.StoredWide + mx * c.H + h) * 64));
            }
        }
        return reader.Position;
    }

    private struct State(JpegScan scan, string name)
    {
        public readonly JpegScan Scan = scan;
        public readonly string Name = name;
        public int EobRun;
    }

    private static void DecodeBlock(ref JpegBitReader reader, ref State state, JpegFrame frame, JpegComponent c, int offset)
    {
        var block = c.Coefficients.AsSpan(offset, 64);
        var scan = state.Scan;
        if (!frame.Progressive) Sequential(ref reader, ref state, c, block);
        else if (scan.Ss == 0)
        {
            if (scan.Ah == 0) block[0] = (short)(DcDifference(ref reader, ref state, c) << scan.Al);
            else if (reader.Bit() != 0) block[0] |= (short)(1 << scan.Al);
        }
        else if (scan.Ah == 0) AcFirst(ref reader, ref state, c, block);
        else AcRefine(ref reader, ref state, c, block);
    }

    private static void Sequential(ref JpegBitReader reader, ref State state, JpegComponent c, Span<short> block)
    {
        block[0] = (short)DcDifference(ref reader, ref state, c);
        var zigzag = JpegFrame.ZigZag;
        var ac = c.Ac!;
        for (int k = 1; k < 64; k++)
        {
            int rs = ac.Decode(ref reader);
            if (rs < 0) throw BadCode(ref state, "AC");
            int r = rs >> 4, s = rs & 15;
            if (s == 0)
            {
                if (r != 15) break; // end of block
                k += 15;
                continue;
            }
            k += r;
            if (k > 63) throw Corrupt(ref state, "AC coefficient run goes past the end of the block");
            block[zigzag[k]] = (short)reader.Signed(s);
        }
    }

    /// <summary>Decodes a DC difference and returns the component's new running DC value.</summary>
    private static int DcDifference(ref JpegBitReader reader, ref State state, JpegComponent c)
    {
        int s = c.Dc!.Decode(ref reader);
        if (s < 0) throw BadCode(ref state, "DC");
        if (s > 15) throw Corrupt(ref state, $"DC difference of {s} bits");
        c.DcPredictor += reader.Signed(s);
        return c.DcPredictor;
    }

    private static void AcFirst(ref JpegBitReader reader, ref State state, JpegComponent c, Span<short> block)
    {
        if (state.EobRun > 0)
        {
            state.EobRun--;
            return;
        }
        var zigzag = JpegFrame.ZigZag;
        var ac = c.Ac!;
        int al = state.Scan.Al, se = state.Scan.Se;
        for (int k = state.Scan.Ss; k <= se; k++)
        {
            int rs = ac.Decode(ref reader);
            if (rs < 0) throw BadCode(ref state, "AC");
            int r = rs >> 4, s = rs & 15;
            if (s == 0)
            {
                if (r < 15)
                {
                    // EOBr: this block and the next 2^r − 1 + (r bits) blocks have no more coefficients in this band.
                    state.EobRun = (1 << r) - 1 + reader.Bits(r);
                    break;
                }
                k += 15;
                continue;
            }
            k += r;
            if (k > 63) throw Corrupt(ref state, "AC coefficient run goes past the end of the block");
            block[zigzag[k]] = (short)(reader.Signed(s) * (1 << al));
        }
    }

    /// <summary>Successive approximation of AC coefficients, after jdphuff.c's decode_mcu_AC_refine: one more bit for each
    /// coefficient already non-zero, and newly non-zero ones placed after skipping r still-zero coefficients.</summary>
    private static void AcRefine(ref JpegBitReader reader, ref State state, JpegComponent c, Span<short> block)
    {
        var zigzag = JpegFrame.ZigZag;
        var ac = c.Ac!;
        int se = state.Scan.Se;
        int p1 = 1 << state.Scan.Al, m1 = -1 << state.Scan.Al;
        int k = state.Scan.Ss;
        if (state.EobRun == 0)
        {
            for (; k <= se; k++)
            {
                int rs = ac.Decode(ref reader);
                if (rs < 0) throw BadCode(ref state, "AC");
                int r = rs >> 4, s = rs & 15;
                int value = 0;
                if (s != 0)
                {
                    if (s != 1) throw Corrupt(ref state, $"refinement coefficient of {s} bits (must be 1)");
                    value = reader.Bit() != 0 ? p1 : m1;
                }
                else if (r != 15)
                {
                    state.EobRun = (1 << r) + reader.Bits(r);
                    break;
                }
                for (; k <= se; k++)
                {
                    ref short coef = ref block[zigzag[k]];
                    if (coef != 0) Refine(ref reader, ref coef, p1, m1);
                    else if (--r < 0) break;
                }
                if (value != 0)
                {
                    if (k > se) throw Corrupt(ref state, "refinement run goes past the end of the band");
                    block[zigzag[k]] = (short)value;
                }
            }
        }
        if (state.EobRun > 0)
        {
            for (; k <= se; k++)
            {
                ref short coef = ref block[zigzag[k]];
                if (coef != 0) Refine(ref reader, ref coef, p1, m1);
            }
            state.EobRun--;
        }
    }

    private static void Refine(ref JpegBitReader reader, ref short coef, int p1, int m1)
    {
        if (reader.Bit() != 0 && (coef & p1) == 0) coef += (short)(coef >= 0 ? p1 : m1);
    }

    private static ImageFormatException BadCode(ref State state, string kind) =>
        new($"{state.Name}: JPEG: invalid {kind} Huffman code in the entropy-coded data (corrupt file)");

    private static ImageFormatException Corrupt(ref State state, string problem) => new($"{state.Name}: JPEG: corrupt entropy-coded data: {problem}");
}
