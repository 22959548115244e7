using System.Runtime.CompilerServices;

namespace Sapling.Backends.Cpu;

/// <summary>GELU forward and backward in one pass each, exact (erf) or with GPT-2's tanh approximation.</summary>
internal static class GeluKernel
{
    private const float InvSqrt2 = 0.70710678118654752f;
    private const float InvSqrt2Pi = 0.39894228040143268f;
    private const float TanhScale = 0.79788456080286536f; // sqrt(2/pi)
    private const float TanhCubic = 0.044715f;

    public static void Forward(ReadOnlySpan<float> x, Span<float> y, bool tanhApproximation)
    {
        if (tanhApproximation)
        {
            for (int i = 0; i < x.Length; i++)
            {
                float v = x[i];
                float inner = TanhScale * (v + TanhCubic * v * v * v);
                y[i] = 0.5f * v * (1f + MathF.Tanh(inner));
            }
        }
        else
        {
            for (int i = 0; i < x.Length; i++) y[i] = 0.5f * x[i] * (1f + Erf(x[i] * InvSqrt2));
        }
    }

    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, bool tanhApproximation)
    {
        if (tanhApproximation)
        {
            for (int i = 0; i < x.Length; i++)
            {
                float v = x[i];
                float inner = TanhScale * (v + TanhCubic * v * v * v);
                float t = MathF.Tanh(inner);
                float dInner = TanhScale * (1f + 3f * TanhCubic * v * v);
                dx[i] = dy[i] * (0.5f * (1f + t) + 0.5f * v * (1f - t * t) * dInner);
            }
        }
        else
        {
            for (int i = 0; i < x.Length; i++)
            {
                float v = x[i];
                float cdf = 0.5f * (1f + Erf(v * InvSqrt2));
                float pdf = InvSqrt2Pi * MathF.Exp(-0.5f * v * v);
                dx[i] = dy[i] * (cdf + v * pdf);
            }
        }
    }

    /// <summary>erf accurate to float precision; the short Abramowitz-Stegun formula (1e-7 absolute at best) drifts from PyTorch's exact GELU.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Erf(float x)
    {
        // W. J. Cody's rational approximations, evaluated in double for float accuracy.
        double ax = Math.Abs((double)x);
        double r;
        if (ax < 0.5)
        {
            double t = ax * ax;
            double top = (((0.185777706184603153 * t + 3.16112374387056560) * t + 113.864154151050156) * t + 377.485237685302021) * t + 3209.37758913846947;
            double bot = (((t + 23.6012909523441209) * t + 244.024637934444173) * t + 1282.61652607737228) * t + 2844.23683343917062;
            r = ax * top / bot;
        }
        else if (ax < 4.0)
        {
            double top = ((((((((2.15311535474403846e-8 * ax + 5.64188496988670089e-1) * ax + 8.88314979438837594) * ax + 66.1191906371416295) * ax + 298.635138197400131) * ax + 881.952221241769090) * ax + 1712.04761263407058) * ax + 2051.07837782607147) * ax + 1230.33935479799725);
            double bot = (((((((ax + 15.7449261107098347) * ax + 117.693950891312499) * ax + 537.181101862009858) * ax + 1621.38957456669019) * ax + 3290.79923573345963) * ax + 4362.61909014324716) * ax + 3439.36767414372164) * ax + 1230.33935480374942;
            r = 1.0 - Math.Exp(-ax * ax) * top / bot;
        }
        else
        {
            double z = 1.0 / (ax * ax);
            double top = ((((1.63153871373020978e-2 * z + 3.05326634961232344e-1) * z + 3.60344899949804439e-1) * z + 1.25781726111229246e-1) * z + 1.60837851487422766e-2) * z + 6.58749161529837803e-4;
            double bot = ((((z + 2.56852019228982242) * z + 1.87295284992346725) * z + 5.27905102951428412e-1) * z + 6.05183413124413191e-2) * z + 2.33520497626869185e-3;
            double p = z * top / bot;
            r = 1.0 - Math.Exp(-ax * ax) / ax * (0.564189583547756287 - p);
        }
        return (float)(x < 0 ? -r : r);
    }
}
