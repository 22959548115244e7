using System.Globalization;
using System.Text;

namespace Sapling;

public sealed partial class Tensor
{
    private const int SummariseAbove = 1000;
    private const int EdgeItems = 3;

    /// <summary>PyTorch-style text: <c>tensor([[1.0000, 2.0000], ...], requires_grad=True)</c>, summarised when large.</summary>
    public override string ToString()
    {
        if (disposed) return $"tensor(<disposed>, shape={ShapeUtil.Format(shape)})";
        var values = ToDoubles();
        bool summarise = values.Length > SummariseAbove;
        bool integral = DType is DType.Int32 or DType.Int64 or DType.Int8 or DType.Bool;
        string Format(double v)
        {
            if (DType == DType.Bool) return v != 0 ? "True" : "False";
            if (integral) return ((long)v).ToString(CultureInfo.InvariantCulture);
            if (double.IsNaN(v)) return "nan";
            if (double.IsInfinity(v)) return v > 0 ? "inf" : "-inf";
            double a = Math.Abs(v);
            return a != 0 && (a >= 1e8 || a < 1e-4) ? v.ToString("0.0000e+00", CultureInfo.InvariantCulture) : v.ToString("0.0000", CultureInfo.InvariantCulture);
        }
        int width = 0;
        foreach (var v in values) width = Math.Max(width, Format(v).Length);
        var sb = new StringBuilder("tensor(");
        if (Rank == 0) sb.Append(Format(values[0]));
        else AppendDim(sb, values, 0, 0, ShapeUtil.ContiguousStrides(shape), summarise, width, Format, "tensor(".Length);
        if (DType != DType.Float32) sb.Append(", dtype=").Append(DType.Name());
        if (GradFn != null) sb.Append(", grad_fn=").Append(GradFn);
        else if (requiresGrad) sb.Append(", requires_grad=True");
        return sb.Append(')').ToString();
    }

    private void AppendDim(StringBuilder sb, double[] values, int dim, int at, int[] dense, bool summarise, int width, Func<double, string> format, int indent)
    {
        sb.Append('[');
        int size = shape[dim];
        for (int i = 0; i < size; i++)
        {
            if (summarise && size > 2 * EdgeItems && i == EdgeItems)
            {
                sb.Append(dim == Rank - 1 ? "..., " : "...,\n" + new string(' ', indent + dim + 1));
                i = size - EdgeItems - 1;
                continue;
            }
            if (dim == Rank - 1) sb.Append(format(values[at + i]).PadLeft(width));
            else AppendDim(sb, values, dim + 1, at + i * dense[dim], dense, summarise, width, format, indent);
            if (i < size - 1) sb.Append(dim == Rank - 1 ? ", " : "," + new string('\n', Rank - 1 - dim) + new string(' ', indent + dim + 1));
        }
        sb.Append(']');
    }

    private double[] ToDoubles()
    {
        var c = ContiguousCopy();
        var result = new double[c.NumEl];
        switch (DType)
        {
            case DType.Float32: { var s = c.AsSpan<float>(); for (int i = 0; i < s.Length; i++) result[i] = s[i]; break; }
            case DType.Float64: c.AsSpan<double>().CopyTo(result); break;
            case DType.Int64: { var s = c.AsSpan<long>(); for (int i = 0; i < s.Length; i++) result[i] = s[i]; break; }
            case DType.Int32: { var s = c.AsSpan<int>(); for (int i = 0; i < s.Length; i++) result[i] = s[i]; break; }
            case DType.Bool: { var s = c.AsSpan<bool>(); for (int i = 0; i < s.Length; i++) result[i] = s[i] ? 1 : 0; break; }
            case DType.Int8: { var s = c.AsSpan<sbyte>(); for (int i = 0; i < s.Length; i++) result[i] = s[i]; break; }
            case DType.BFloat16: { var s = c.AsSpan<ushort>(); for (int i = 0; i < s.Length; i++) result[i] = Memory.BFloat16.ToSingle(s[i]); break; }
            case DType.Float16: { var s = c.AsSpan<Half>(); for (int i = 0; i < s.Length; i++) result[i] = (float)s[i]; break; }
        }
        c.Dispose();
        return result;
    }
}
