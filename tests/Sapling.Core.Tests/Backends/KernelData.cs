using Xunit.Sdk;

namespace Sapling.Core.Tests.Backends;

/// <summary>Random inputs placed at an offset inside larger arrays, and outputs with a guard tail that must survive.</summary>
internal static class KernelData
{
    /// <summary>Written past the end of every output; a kernel that overruns its output overwrites it.</summary>
    public const float Guard = 12345.5f;

    /// <summary>The column counts every row kernel is tried with: tiny, not a multiple of any vector width, and large enough to go parallel.</summary>
    public static readonly int[] AwkwardWidths = [1, 7, 17, 33, 65, 1031];

    /// <summary>n uniform values in [lo, hi), stored from <paramref name="offset"/> after NaN padding that must not be read.</summary>
    public static float[] Random(Random rng, int n, int offset = 0, float lo = -3f, float hi = 3f)
    {
        var data = new float[offset + n + 3];
        Array.Fill(data, float.NaN);
        for (int i = 0; i < n; i++) data[offset + i] = lo + (hi - lo) * rng.NextSingle();
        return data;
    }

    /// <summary>An output of n values followed by a guard tail.</summary>
    public static float[] Output(int n)
    {
        var data = new float[n + 5];
        Array.Fill(data, Guard);
        return data;
    }

    /// <summary>A zeroed output of n values (for kernels that add into it) followed by a guard tail.</summary>
    public static float[] ZeroedOutput(int n)
    {
        var data = Output(n);
        Array.Clear(data, 0, n);
        return data;
    }

    /// <summary>
    /// The first n values agree within atol + rtol·|expected| (NaN only where NaN is expected, infinities exactly),
    /// and the guard tail of both is intact.
    /// </summary>
    public static void Close(float[] expected, float[] actual, int n, double rtol, double atol, string what)
    {
        for (int i = 0; i < n; i++)
        {
            float e = expected[i], a = actual[i];
            if (float.IsNaN(e) || float.IsNaN(a))
            {
                if (float.IsNaN(e) != float.IsNaN(a)) throw new XunitException($"{what}: element {i} is {a:G9}, reference {e:G9}");
                continue;
            }
            if (float.IsInfinity(e) || float.IsInfinity(a))
            {
                if (e != a) throw new XunitException($"{what}: element {i} is {a:G9}, reference {e:G9}");
                continue;
            }
            double diff = Math.Abs((double)a - e);
            if (diff > atol + rtol * Math.Abs(e))
                throw new XunitException($"{what}: element {i} is {a:G9}, reference {e:G9} (|diff| {diff:G3} > atol {atol} + rtol {rtol}·|reference|)");
        }
        GuardIntact(expected, n, what + " (reference)");
        GuardIntact(actual, n, what);
    }

    public static void Equal(float[] expected, float[] actual, int n, string what) => Close(expected, actual, n, 0, 0, what);

    public static void Equal<T>(T[] expected, T[] actual, int n, string what) where T : IEquatable<T>
    {
        for (int i = 0; i < n; i++)
            if (!expected[i].Equals(actual[i])) throw new XunitException($"{what}: element {i} is {actual[i]}, reference {expected[i]}");
    }

    private static void GuardIntact(float[] data, int n, string what)
    {
        for (int i = n; i < data.Length; i++)
            if (data[i] != Guard) throw new XunitException($"{what}: wrote {data[i]:G9} at {i}, past the {n} elements of its output");
    }
}
