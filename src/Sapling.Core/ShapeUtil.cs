using System.Text;

namespace Sapling;

/// <summary>Shape arithmetic shared by every op: element counts, strides, broadcasting and dimension checks.</summary>
public static class ShapeUtil
{
    /// <summary>
    /// Number of elements in a tensor of <paramref name="shape"/> (1 for a scalar); refuses more than int.MaxValue.
    /// </summary>
    public static int Numel(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape) n *= d;
        if (n > int.MaxValue) throw new ArgumentException($"shape {Format(shape)} has {n} elements, more than a tensor can hold ({int.MaxValue})");
        return (int)n;
    }

    /// <summary>
    /// Row-major strides for <paramref name="shape"/>: the last dimension has stride 1, and a size-0 dimension
    /// counts as size 1.
    /// </summary>
    public static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        int s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= Math.Max(shape[i], 1);
        }
        return strides;
    }

    /// <summary>The shape as text for messages, e.g. <c>[2, 3]</c>.</summary>
    public static string Format(ReadOnlySpan<int> shape)
    {
        var sb = new StringBuilder("[");
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(shape[i]);
        }
        return sb.Append(']').ToString();
    }

    /// <summary>NumPy/PyTorch broadcasting: align from the right; sizes must match or one of them be 1.</summary>
    public static int[] Broadcast(string op, ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast together (dimension {i}: {da} vs {db})");
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    /// <summary>Turns a possibly negative dimension into an index in [0, rank), naming the op when it is out of range.</summary>
    public static int NormalizeDim(string op, int dim, int rank)
    {
        int r = Math.Max(rank, 1);
        if (dim < -r || dim >= r)
            throw new ArgumentOutOfRangeException(nameof(dim), $"{op}: dimension {dim} is out of range for a tensor of rank {rank} (expected {-r}..{r - 1})");
        return dim < 0 ? dim + r : dim;
    }

    /// <summary>Whether the two shapes have the same rank and the same size in every dimension.</summary>
    public static bool SameShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);

    internal static int[] Concat(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        var r = new int[a.Length + b.Length];
        a.CopyTo(r);
        b.CopyTo(r.AsSpan(a.Length));
        return r;
    }
}
