namespace Sapling.Backends.Reference;

/// <summary>Attention (causal, and the encoder's bidirectional kind) as its textbook definition: the full score row, its softmax, the weighted sum.</summary>
public partial class ReferenceKernels<T>
{
    /// <inheritdoc/>
    public void AttentionForward(T[] q, T[] k, T[] v, T[] output, T[] lse,
        int heads, int t, int s, int d, int past, T scale, int[]? keyStart, int headsPerRow, int kvHeadStride, int kvGroups = 1, int window = 0)
    {
        for (int h = 0; h < heads; h++)
        {
            int padding = keyStart?[h / headsPerRow] ?? 0;
            int kv = h / kvGroups * kvHeadStride;
            for (int i = 0; i < t; i++)
            {
                int last = Math.Min(s - 1, past + i);
                int first = window > 0 ? Math.Max(padding, past + i + 1 - window) : padding;
                var p = Probabilities(q, k, h, i, t, s, d, first, last, scale, kv, out double logSumExp);
                for (int c = 0; c < d; c++)
                {
                    double o = 0;
                    for (int j = first; j <= last; j++) o += p[j] * D(v[kv + j * d + c]);
                    output[(h * t + i) * d + c] = ToT(o);
                }
                lse[h * t + i] = first > last ? T.Zero : ToT(logSumExp);
            }
        }
    }

    /// <inheritdoc/>
    public void EncoderAttentionForward(T[] q, HeadLayout qLayout, T[] k, HeadLayout kLayout, T[] v, HeadLayout vLayout, T[] output,
        int batch, int heads, int t, int s, int d, T scale, int[]? keyLengths)
    {
        var p = new double[s];
        for (int b = 0; b < batch; b++)
        {
            int length = keyLengths?[b] ?? s;
            bool uniform = length == 0;
            if (uniform) length = s;
            for (int h = 0; h < heads; h++)
            {
                for (int i = 0; i < t; i++)
                {
                    double max = double.NegativeInfinity;
                    for (int j = 0; j < length; j++)
                    {
                        double dot = 0;
                        for (int c = 0; c < d; c++) dot += D(q[qLayout.At(b, h, i) + c]) * D(k[kLayout.At(b, h, j) + c]);
                        p[j] = uniform ? 0 : dot * D(scale);
                        max = Math.Max(max, p[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < length; j++) sum += p[j] = Math.Exp(p[j] - max);
                    for (int c = 0; c < d; c++)
                    {
                        double o = 0;
                        for (int j = 0; j < length; j++) o += p[j] / sum * D(v[vLayout.At(b, h, j) + c]);
                        output[((b * t + i) * heads + h) * d + c] = ToT(o);
                    }
                }
            }
        }
    }

    /// <inheritdoc/>
    public void AttentionBackward(T[] q, T[] k, T[] v, T[] output, T[] lse, T[] dOut,
        T[] dq, T[] dk, T[] dv, int heads, int t, int s, int d, int past, T scale)
    {
        // The probabilities are recomputed from q and k; the saved output and log-sum-exp are not needed here.
        var dkSum = new double[s * d];
        var dvSum = new double[s * d];
        for (int h = 0; h < heads; h++)
        {
            Array.Clear(dkSum);
            Array.Clear(dvSum);
            for (int i = 0; i < t; i++)
            {
                int last = Math.Min(s - 1, past + i);
                var p = Probabilities(q, k, h, i, t, s, d, 0, last, scale, h * s * d, out _);
                int qi = (h * t + i) * d;
                // With P = softmax(S): ∂L/∂P_j = dO·v_j and ∂L/∂S_j = P_j·(∂L/∂P_j − Σ_l P_l·∂L/∂P_l).
                var dp = new double[last + 1];
                double weighted = 0;
                for (int j = 0; j <= last; j++)
                {
                    for (int c = 0; c < d; c++) dp[j] += D(dOut[qi + c]) * D(v[(h * s + j) * d + c]);
                    weighted += p[j] * dp[j];
                }
                var dqRow = new double[d];
                for (int j = 0; j <= last; j++)
                {
                    double dsj = p[j] * (dp[j] - weighted) * D(scale);
                    for (int c = 0; c < d; c++)
                    {
                        dqRow[c] += dsj * D(k[(h * s + j) * d + c]);
                        dkSum[j * d + c] += dsj * D(q[qi + c]);
                        dvSum[j * d + c] += p[j] * D(dOut[qi + c]);
                    }
                }
                for (int c = 0; c < d; c++) dq[qi + c] = ToT(dqRow[c]);
            }
            for (int e = 0; e < s * d; e++)
            {
                dk[h * s * d + e] = ToT(dkSum[e]);
                dv[h * s * d + e] = ToT(dvSum[e]);
            }
        }
    }

    /// <summary>softmax over keys first..last of scale·q_i·k_j (zero elsewhere), with the log-sum-exp of the scores.</summary>
    private static double[] Probabilities(T[] q, T[] k, int h, int i, int t, int s, int d, int first, int last, T scale, int kvStart, out double logSumExp)
    {
        var p = new double[s];
        double max = double.NegativeInfinity;
        for (int j = first; j <= last; j++)
        {
            double score = 0;
            for (int c = 0; c < d; c++) score += D(q[(h * t + i) * d + c]) * D(k[kvStart + j * d + c]);
            p[j] = score * D(scale);
            max = Math.Max(max, p[j]);
        }
        double sum = 0;
        for (int j = first; j <= last; j++) sum += Math.Exp(p[j] - max);
        for (int j = first; j <= last; j++) p[j] = Math.Exp(p[j] - max) / sum;
        logSumExp = max + Math.Log(sum);
        return p;
    }
}
