using Sapling.Backends.Cpu;

namespace Sapling.Backends.Reference;

// The int8 kernels from the rule in IKernels.Int8.cs: quantise each row on its own, sum the int8 products in int32
// (exact: |q·w| ≤ 127·127, so any K below 133 000 fits), and dequantise in float32. The float steps are written in the
// fast path's order, sum·(channel scale·row scale) + bias, so the two agree bit for bit.
public sealed partial class ReferenceKernels
{
    /// <inheritdoc/>
    public void QuantizeRowsInt8(float[] x, int xOffset, int rows, int n, sbyte[] q, float[] scales)
    {
        for (int r = 0; r < rows; r++) scales[r] = QuantizeRow(x, xOffset + r * n, n, q, r * n);
    }

    /// <inheritdoc/>
    public void Int8Linear(float[] x, int xOffset, int m, Int8PackedMatrix w, float[]? bias, int biasOffset, float[] y)
    {
        var q = new sbyte[w.K];
        for (int r = 0; r < m; r++)
        {
            float rowScale = QuantizeRow(x, xOffset + r * w.K, w.K, q, 0);
            Dequantise(q, rowScale, w, bias, biasOffset, y, r);
        }
    }

    /// <inheritdoc/>
    public void Int8Conv2d(float[] x, int xOffset, Conv2dGeometry g, Int8PackedMatrix w, float[]? bias, int biasOffset, float[] y)
    {
        if (g.Channels * g.KernelH * g.KernelW != w.K)
            throw new ArgumentException($"int8 conv2d: patches of {g.Channels}×{g.KernelH}×{g.KernelW} do not match a weight of {w.K} inputs");
        // The patches come from the reference im2col; each column is one output position's window.
        int columns = g.Batch * g.OutPlane;
        var col = new float[w.K * columns];
        Im2Col(x, xOffset, g, col);
        var patch = new float[w.K];
        var q = new sbyte[w.K];
        for (int j = 0; j < columns; j++)
        {
            for (int k = 0; k < w.K; k++) patch[k] = col[k * columns + j];
            float rowScale = QuantizeRow(patch, 0, w.K, q, 0);
            Dequantise(q, rowScale, w, bias, biasOffset, y, j);
        }
    }

    /// <inheritdoc/>
    public void Int8Embedding(Int8PackedMatrix table, long[] ids, float[] y)
    {
        for (int i = 0; i < ids.Length; i++)
            for (int j = 0; j < table.K; j++)
                y[i * table.K + j] = table.At((int)ids[i], j) * table.Scales[ids[i]];
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
