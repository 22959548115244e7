namespace Sapling.Backends.Reference;

/// <summary>Causal attention as its textbook definition: the full score row, its softmax, the weighted sum.</summary>
public sealed partial class ReferenceKernels
{
    public void AttentionForward(float[] q, float[] k, float[] v, float[] output, float[] lse,
        int heads, int t, int s, int d, int past, float scale, int[]? keyStart, int headsPerRow)
    {
        for (int h = 0; h < heads; h++)
        {
            int first = keyStart?[h / headsPerRow] ?? 0;
            for (int i = 0; i < t; i++)
            {
                int last = Math.Min(s - 1, past + i);
                var p = Probabilities(q, k, h, i, t, s, d, first, last, scale, out double logSumExp);
                for (int c = 0; c < d; c++)
                {
                    double o = 0;
                    for (int j = first; j <= last; j++) o += p[j] * v[(h * s + j) * d + c];
                    output[(h * t + i) * d + c] = (float)o;
                }
                lse[h * t + i] = first > last ? 0f : (float)logSumExp;
            }
        }
    }

    public void AttentionBackward(float[] q, float[] k, float[] v, float[] output, float[] lse, float[] dOut,
        float[] dq, float[] dk, float[] dv, int heads, int t, int s, int d, int past, float scale)
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
                var p = Probabilities(q, k, h, i, t, s, d, 0, last, scale, out _);
                int qi = (h * t + i) * d;
                // With P = softmax(S): ∂L/∂P_j = dO·v_j and ∂L/∂S_j = P_j·(∂L/∂P_j − Σ_l P_l·∂L/∂P_l).
                var dp = new double[last + 1];
                double weighted = 0;
                for (int j = 0; j <= last; j++)
                {
                    for (int c = 0; c < d; c++) dp[j] += (double)dOut[qi + c] * v[(h * s + j) * d + c];
                    weighted += p[j] * dp[j];
                }
                var dqRow = new double[d];
                for (int j = 0; j <= last; j++)
                {
                    double dsj = p[j] * (dp[j] - weighted) * scale;
                    for (int c = 0; c < d; c++)
                    {
                        dqRow[c] += dsj * k[(h * s + j) * d + c];
                        dkSum[j * d + c] += dsj * q[qi + c];
                        dvSum[j * d + c] += p[j] * dOut[qi + c];
                    }
                }
                for (int c = 0; c < d; c++) dq[qi + c] = (float)dqRow[c];
            }
            for (int e = 0; e < s * d; e++)
            {
                dk[h * s * d + e] = (float)dkSum[e];
                dv[h * s * d + e] = (float)dvSum[e];
            }
        }
    }

    /// <summary>softmax over keys first..last of scale·q_i·k_j (zero elsewhere), with the log-sum-exp of the scores.</summary>
    private static double[] Probabilities(float[] q, float[] k, int h, int i, int t, int s, int d, int first, int last, float scale, out double logSumExp)
    {
        var p = new double[s];
        double max = double.NegativeInfinity;
        for (int j = first; j <= last; j++)
        {
            double score = 0;
            for (int c = 0; c < d; c++) score += (double)q[(h * t + i) * d + c] * k[(h * s + j) * d + c];
            p[j] = score * scale;
            max = Math.Max(max, p[j]);
        }
        double sum = 0;
        for (int j = first; j <= last; j++) sum += Math.Exp(p[j] - max);
        for (int j = first; j <= last; j++) p[j] = Math.Exp(p[j] - max) / sum;
        logSumExp = max + Math.Log(sum);
        return p;
    }
}
