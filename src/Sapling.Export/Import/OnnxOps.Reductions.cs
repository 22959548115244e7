namespace Sapling.Export.Import;

internal static partial class OnnxOps
{
    private enum ReduceKind { Mean, Sum, Max, Min }

    private static Tensor Reduce(OnnxOpContext c, ReduceKind kind)
    {
        var x = c.Input(0);
        bool keepDims = c.Node.Int("keepdims", 1) != 0;
        // Axes moved from an attribute to an optional input: ReduceSum at opset 13, the others at 18.
        bool axesAsInput = c.Opset >= (kind == ReduceKind.Sum ? 13 : 18);
        long[]? axes = axesAsInput ? (c.Optional(1) != null ? c.Longs(1) : null) : c.Node.Ints("axes");
        if ((axes == null || axes.Length == 0) && axesAsInput && c.Node.Int("noop_with_empty_axes", 0) != 0) return x;
        var dims = axes == null || axes.Length == 0
            ? Enumerable.Range(0, x.Rank).ToArray()
            : axes.Select(a => c.Axis(a, x.Rank)).Distinct().Order().ToArray();
        if (dims.Length == 0) return x;
        bool integer = IsInteger(x);
        if (!integer && !IsFloat(x)) throw c.Error($"input 0 is {x.DType.Name()}; expected a float or integer tensor");
        if (integer && kind == ReduceKind.Mean) throw c.Unsupported("ReduceMean of an integer tensor");
        var values = integer ? x.To(DType.Float64) : x;
        var result = kind switch
        {
            ReduceKind.Mean => values.Mean(dims, keepDims),
            ReduceKind.Sum => values.Sum(dims, keepDims),
            ReduceKind.Max => values.Amax(dims, keepDims),
            _ => values.Amin(dims, keepDims),
        };
        return integer ? HostFromDoubles(result, v => (long)v) : result;
    }
}
