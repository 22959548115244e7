namespace Sapling.Backends.Cpu;

/// <summary>
/// An encoder's bidirectional attention for inference, one (batch row, head) pair at a time: the t × length score block
/// is one small product (Q·Kᵀ, read in place through the heads' strides), softmax runs over each row's real keys only,
/// and a second product writes P·V straight into the [batch, t, heads, d] output. Pairs run in parallel, each product on
/// its own thread: at BERT's sizes (128 × 128 × 32) the block stays in cache and no worker waits on another per product.
/// </summary>
internal static unsafe class EncoderAttentionKernel
{
    public static void Forward(float[] q, HeadLayout ql, float[] k, HeadLayout kl, float[] v, HeadLayout vl, float[] output,
        int batch, int heads, int t, int s, int d, float scale, int[]? keyLengths)
    {
        if (batch * heads * t * d == 0) return;
        SoftmaxKernel.RowsParallel(batch * heads, (long)t * s * d, (p0, p1) =>
        {
            var scores = System.Buffers.ArrayPool<float>.Shared.Rent(Math.Max(1, t * s));
            try
            {
                fixed (float* qp = q, kp = k, vp = v, op = output, sp = scores)
                {
                    for (int pair = p0; pair < p1; pair++)
                    {
                        int b = pair / heads, h = pair % heads;
                        int length = keyLengths?[b] ?? s;
                        float* outHead = op + (long)b * t * heads * d + h * d;
                        if (length == 0)
                        {
                            // Every key is padding: the bias on each leaves the scores equal, so the softmax is uniform.
                            length = s;
                            new Span<float>(sp, t * length).Fill(1f / length);
                        }
                        else
                        {
                            // scores[t, length] = scale · Q · Kᵀ over the real keys.
                            Gemm.SgemmManaged(false, true, t, length, d, scale, qp + ql.At(b, h, 0), ql.RowStride, kp + kl.At(b, h, 0), kl.RowStride, 0f, sp, length);
                            for (int i = 0; i < t; i++)
                            {
                                var row = new Span<float>(sp + (long)i * length, length);
                                float sum = FastMath.ExpShiftedAndSum(row, RowMath.Max(row), row);
                                RowMath.Scale(row, 1f / sum);
                            }
                        }
                        // output[b, :, h, :] = P · V, rows heads·d apart.
                        Gemm.SgemmManaged(false, false, t, d, length, 1f, sp, length, vp + vl.At(b, h, 0), vl.RowStride, 0f, outHead, heads * d);
                    }
                }
            }
            finally
            {
                System.Buffers.ArrayPool<float>.Shared.Return(scores);
            }
        });
    }
}
