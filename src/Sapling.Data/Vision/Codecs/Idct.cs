namespace Sapling.Vision;

/// <summary>libjpeg's "islow" inverse DCT (jidctint.c, Loeffler–Ligtenberg–Moschytz with 13-bit fixed point), copied
/// step for step so decoded pixels equal libjpeg-turbo's and PIL's rather than merely being close to them.</summary>
internal static class Idct
{
    private const int ConstBits = 13;
    private const int Pass1Bits = 2;
    private const int Fix_0_298631336 = 2446;
    private const int Fix_0_390180644 = 3196;
    private const int Fix_0_541196100 = 4433;
    private const int Fix_0_765366865 = 6270;
    private const int Fix_0_899976223 = 7373;
    private const int Fix_1_175875602 = 9633;
    private const int Fix_1_501321110 = 12299;
    private const int Fix_1_847759065 = 15137;
    private const int Fix_1_961570560 = 16069;
    private const int Fix_2_053119869 = 16819;
    private const int Fix_2_562915447 = 20995;
    private const int Fix_3_072711026 = 25172;

    /// <summary>libjpeg's post-IDCT range limit: adds 128 and clamps, but indexes by the low 10 bits, so wild values from
    /// corrupt data wrap exactly as they do in libjpeg.</summary>
    private static readonly byte[] RangeLimit = BuildRangeLimit();

    /// <summary>Dequantises and inverse-transforms one block of natural-order coefficients into 8×8 samples at <paramref name="output"/>[offset], rows <paramref name="stride"/> apart.</summary>
    public static void Islow(ReadOnlySpan<short> coef, ReadOnlySpan<int> quant, Span<int> workspace, byte[] output, int offset, int stride)
    {
        var ws = workspace;
        for (int col = 0; col < 8; col++)
        {
            if (coef[8 + col] == 0 && coef[16 + col] == 0 && coef[24 + col] == 0 && coef[32 + col] == 0 &&
                coef[40 + col] == 0 && coef[48 + col] == 0 && coef[56 + col] == 0)
            {
                int dc = coef[col] * quant[col] << Pass1Bits;
                for (int r = 0; r < 8; r++) ws[r * 8 + col] = dc;
                continue;
            }
            int z2 = coef[16 + col] * quant[16 + col];
            int z3 = coef[48 + col] * quant[48 + col];
            int z1 = (z2 + z3) * Fix_0_541196100;
            int tmp2 = z1 + z3 * -Fix_1_847759065;
            int tmp3 = z1 + z2 * Fix_0_765366865;
            z2 = coef[col] * quant[col];
            z3 = coef[32 + col] * quant[32 + col];
            int tmp0 = (z2 + z3) << ConstBits;
            int tmp1 = (z2 - z3) << ConstBits;
            int tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;

            tmp0 = coef[56 + col] * quant[56 + col];
            tmp1 = coef[40 + col] * quant[40 + col];
            tmp2 = coef[24 + col] * quant[24 + col];
            tmp3 = coef[8 + col] * quant[8 + col];
            Odd(ref tmp0, ref tmp1, ref tmp2, ref tmp3);

            const int shift = ConstBits - Pass1Bits, round = 1 << (shift - 1);
            ws[0 * 8 + col] = (tmp10 + tmp3 + round) >> shift;
            ws[7 * 8 + col] = (tmp10 - tmp3 + round) >> shift;
            ws[1 * 8 + col] = (tmp11 + tmp2 + round) >> shift;
            ws[6 * 8 + col] = (tmp11 - tmp2 + round) >> shift;
            ws[2 * 8 + col] = (tmp12 + tmp1 + round) >> shift;
            ws[5 * 8 + col] = (tmp12 - tmp1 + round) >> shift;
            ws[3 * 8 + col] = (tmp13 + tmp0 + round) >> shift;
            ws[4 * 8 + col] = (tmp13 - tmp0 + round) >> shift;
        }

        var limit = RangeLimit;
        for (int row = 0; row < 8; row++)
        {
            var w = ws.Slice(row * 8, 8);
            int o = offset + row * stride;
            int z2 = w[2], z3 = w[6];
            int z1 = (z2 + z3) * Fix_0_541196100;
            int tmp2 = z1 + z3 * -Fix_1_847759065;
            int tmp3 = z1 + z2 * Fix_0_765366865;
            int tmp0 = (w[0] + w[4]) << ConstBits;
            int tmp1 = (w[0] - w[4]) << ConstBits;
            int tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;

            tmp0 = w[7];
            tmp1 = w[5];
            tmp2 = w[3];
            tmp3 = w[1];
            Odd(ref tmp0, ref tmp1, ref tmp2, ref tmp3);

            const int shift = ConstBits + Pass1Bits + 3, round = 1 << (shift - 1);
            output[o + 0] = limit[((tmp10 + tmp3 + round) >> shift) & 1023];
            output[o + 7] = limit[((tmp10 - tmp3 + round) >> shift) & 1023];
            output[o + 1] = limit[((tmp11 + tmp2 + round) >> shift) & 1023];
            output[o + 6] = limit[((tmp11 - tmp2 + round) >> shift) & 1023];
            output[o + 2] = limit[((tmp12 + tmp1 + round) >> shift) & 1023];
            output[o + 5] = limit[((tmp12 - tmp1 + round) >> shift) & 1023];
            output[o + 3] = limit[((tmp13 + tmp0 + round) >> shift) & 1023];
            output[o + 4] = limit[((tmp13 - tmp0 + round) >> shift) & 1023];
        }
    }

    /// <summary>The odd part shared by both passes: inputs are the coefficients 7, 5, 3, 1; outputs tmp0..tmp3.</summary>
    private static void Odd(ref int tmp0, ref int tmp1, ref int tmp2, ref int tmp3)
    {
        int z1 = tmp0 + tmp3, z2 = tmp1 + tmp2, z3 = tmp0 + tmp2, z4 = tmp1 + tmp3;
        int z5 = (z3 + z4) * Fix_1_175875602;
        tmp0 *= Fix_0_298631336;
        tmp1 *= Fix_2_053119869;
        tmp2 *= Fix_3_072711026;
        tmp3 *= Fix_1_501321110;
        z1 *= -Fix_0_899976223;
        z2 *= -Fix_2_562915447;
        z3 = z3 * -Fix_1_961570560 + z5;
        z4 = z4 * -Fix_0_390180644 + z5;
        tmp0 += z1 + z3;
        tmp1 += z2 + z4;
        tmp2 += z2 + z3;
        tmp3 += z1 + z4;
    }

    private static byte[] BuildRangeLimit()
    {
        var table = new byte[1024];
        for (int m = 0; m < 1024; m++) table[m] = (byte)(m < 128 ? m + 128 : m < 512 ? 255 : m < 896 ? 0 : m - 896);
        return table;
    }
}
