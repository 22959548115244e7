using Sapling.Backends.Cpu;

namespace Sapling.Backends.Reference;

// The int8 kernels from the rule in IKernels.Int8.cs: quantise each row on its own, sum the int8 products in int32
// (exact: |q·w| ≤ 127·127, so any K below 133 000 fits), and dequantise in float32. The float steps are written in the
// fast path's order, sum·(channel scale·row scale) + bias, so the two agree bit for bit.
public sealed partial class ReferenceKernels
{
    public void QuantizeRowsInt8(float[] x, int xOffset, int rows, int n, sbyte[] q, float[] scales)
    {
        for (int r = 0; r < rows; r++) scales[r] = QuantizeRow(x, xOffset + r * n, n, q, r * n);
    }

    public void Int8Linear(float[] x, int xOffset, int m, Int8PackedMatrix w, float[]? bias, int biasOffset, float[] y)
    {
        var q = new sbyte[w.K];
        for (int r = 0; r < m; r++)
        {
            float rowScale = QuantizeRow(x, xOffset + r * w.K, w.K, q, 0);
            Dequantise(q, rowScale, w, bias, biasOffset, y, r);
        }
    }

    public void Int8Conv2d(float[] x, int xOffset, Conv2dGeometry g, Int8PackedMatrix w, float[]? bias, int biasOffset, float[] y)
    {
        if (g.Channels * g.KernelH * g.KernelW != w.K)
            throw new ArgumentException($"int8 conv2d: patches of {g.Channels}×{g.KernelH}×{g.KernelW} do not match a weight of {w.K} inputs");
        var patch = new float[w.K];
        var q = new sbyte[w.K];
        for (int n = 0; n < g.Batch; n++)
            for (int oh = 0; oh < g.OutHeight; oh++)
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    int i = 0;
                    for (int c = 0; c < g.Channels; c++)
                        for (int ki = 0; ki < g.KernelH; ki++)
                            for (int kj = 0; kj < g.KernelW; kj++)
                            {
                                int ih = oh * g.StrideH - g.PadH + ki * g.DilationH;
                                int iw = ow * g.StrideW - g.PadW + kj * g.DilationW;
                                bool inside = ih >= 0 && ih < g.Height && iw >= 0 && iw < g.Width;
                                patch[i++] = inside ? x[xOffset + ((n * g.Channels + c) * g.Height + ih) * g.Width + iw] : 0f;
                            }
                    float rowScale = QuantizeRow(patch, 0, w.K, q, 0);
                    Dequantise(q, rowScale, w, bias, biasOffset, y, (n * g.OutHeight + oh) * g.OutWidth + ow);
                }
    }

    public void Int8Embedding(sbyte[] table, int tableOffset, float[] scales, int dim, long[] ids, float[] y)
    {
        for (int i = 0; i < ids.Length; i++)
            for (int j = 0; j < dim; j++)
                y[i * dim + j] = table[tableOffset + (int)ids[i] * dim + j] * scales[ids[i]];
    }

    /// <summary>Output row <paramref name="row"/> from a quantised input row: exact int32 dot products, then the scales and bias.</summary>
    private static void Dequantise(sbyte[] q, float rowScale, Int8PackedMatrix w, float[]? bias, int biasOffset, float[] y, int row)
    {
        for (int n = 0; n < w.N; n++)
        {
            int sum = 0;
            for (int k = 0; k < w.K; k++) sum += q[k] * w.At(n, k);
            float value = sum * (w.Scales[n] * rowScale);
            if (bias != null) value += bias[biasOffset + n];
            y[row * w.N + n] = value;
        }
    }

    /// <summary>
    /// Symmetric int8 quantisation of x[offset, offset + n) into q from <paramref name="qOffset"/>; returns the scale
    /// amax/127. q = clamp(round_half_even(x·(127/amax)), −127, 127) with the product in float32; a row of zeros (or an
    /// empty one) gets scale 1 and zeros; NaN or infinity is refused.
    /// </summary>
    internal static float QuantizeRow(float[] x, int offset, int n, sbyte[] q, int qOffset)
    {
        float amax = 0f;
        for (int i = 0; i < n; i++)
        {
            float v = x[offset + i];
            if (!float.IsFinite(v)) throw new ArgumentException("int8 quantisation: the input row holds NaN or infinity");
            amax = Math.Max(amax, Math.Abs(v));
        }
        if (amax == 0f)
        {
            for (int i = 0; i < n; i++) q[qOffset + i] = 0;
            return 1f;
        }
        float inverse = 127f / amax;
        for (int i = 0; i < n; i++)
        {
            float scaled = x[offset + i] * inverse;
            q[qOffset + i] = (sbyte)Math.Clamp((int)MathF.Round(scaled, MidpointRounding.ToEven), -127, 127);
        }
        return amax / 127f;
    }
}
