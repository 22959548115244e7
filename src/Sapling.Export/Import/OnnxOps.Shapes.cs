namespace Sapling.Export.Import;

internal static partial class OnnxOps
{
    /// <summary>Graph arithmetic may compute a size; past this many elements it is refused instead of allocated.</summary>
    private const long MaxElements = int.MaxValue;

    private static Tensor Ints(long[] values) => OnnxValues.Shaped(values, values.Length);

    private static Tensor ShapeOf(OnnxOpContext c)
    {
        var shape = c.Input(0).Shape.ToArray().Select(d => (long)d).ToArray();
        int rank = shape.Length;
        long start = c.Node.Int("start", 0), end = c.Node.Int("end", rank);
        start = Math.Clamp(start < 0 ? start + rank : start, 0, rank);
        end = Math.Clamp(end < 0 ? end + rank : end, 0, rank);
        return Ints(shape[(int)start..(int)Math.Max(start, end)]);
    }

    private static Tensor Reshape(OnnxOpContext c)
    {
        var x = c.Input(0);
        var requested = c.Opset < 5 ? c.Node.Ints("shape") ?? throw c.Error("shape is required") : c.Longs(1);
        bool allowZero = c.Node.Int("allowzero", 0) != 0;
        var target = new int[requested.Length];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < target.Length; i++)
        {
            long d = requested[i];
            if (d == 0 && !allowZero)
            {
                if (i >= x.Rank) throw c.Error($"shape [{string.Join(", ", requested)}] copies dimension {i} (0) of a rank-{x.Rank} input");
                d = x.Shape[i];
            }
            if (d == -1)
            {
                if (infer >= 0) throw c.Error($"shape [{string.Join(", ", requested)}] has more than one -1");
                infer = i;
                continue;
            }
            if (d < 0 || d > int.MaxValue) throw c.Error($"shape [{string.Join(", ", requested)}] has an invalid size {d}");
            target[i] = (int)d;
            known *= d;
            if (known > MaxElements) throw c.Error($"shape [{string.Join(", ", requested)}] is too large");
        }
        if (infer >= 0)
        {
            if (known == 0 || x.NumEl % known != 0) throw c.Error($"cannot reshape {ShapeUtil.Format(x.Shape.ToArray())} into [{string.Join(", ", requested)}]");
            target[infer] = (int)(x.NumEl / known);
        }
        else if (known != x.NumEl)
        {
            throw c.Error($"cannot reshape {ShapeUtil.Format(x.Shape.ToArray())} ({x.NumEl} elements) into [{string.Join(", ", requested)}]");
        }
        return x.Reshape(target);
    }

    private static Tensor Flatten(OnnxOpContext c)
    {
        var x = c.Input(0);
        long axis = c.Node.Int("axis", 1);
        if (axis < 0) axis += x.Rank;
        if (axis < 0 || axis > x.Rank) throw c.Error($"axis {c.Node.Int("axis", 1)} is out of range for a rank-{x.Rank} tensor");
        int rows = 1;
        for (int i = 0; i < axis; i++) rows *= x.Shape[i];
        return x.Reshape(rows, rows == 0 ? 0 : x.NumEl / rows);
    }

    private static Tensor Transpose(OnnxOpContext c)
    {
        var x = c.Input(0);
        var perm = c.Node.Ints("perm")?.Select(p => c.Axis(p, x.Rank)).ToArray() ?? Enumerable.Range(0, x.Rank).Reverse().ToArray();
        if (perm.Length != x.Rank || perm.Distinct().Count() != perm.Length) throw c.Error($"perm [{string.Join(", ", perm)}] is not a permutation of {x.Rank} dimensions");
        return x.Permute(perm);
    }

    private static long[] Axes(OnnxOpContext c, int inputIndex, long sinceOpset) =>
        c.Opset >= sinceOpset ? (c.Optional(inputIndex) != null ? c.Longs(inputIndex) : []) : c.Node.Ints("axes") ?? [];

    private static Tensor Unsqueeze(OnnxOpContext c)
    {
        var x = c.Input(0);
        var axes = Axes(c, 1, 13);
        if (axes.Length == 0) throw c.Error("axes is required");
        int rank = x.Rank + axes.Length;
        var sorted = axes.Select(a => c.Axis(a, rank)).Order().ToArray();
        if (sorted.Distinct().Count() != sorted.Length) throw c.Error($"axes [{string.Join(", ", axes)}] repeat a dimension");
        foreach (var a in sorted) x = x.Unsqueeze(a);
        return x;
    }

    private static Tensor Squeeze(OnnxOpContext c)
    {
        var x = c.Input(0);
        var axes = Axes(c, 1, 13);
        var shape = x.Shape.ToArray();
        var drop = axes.Length == 0
            ? Enumerable.Range(0, x.Rank).Where(d => shape[d] == 1).ToHashSet()
            : axes.Select(a => c.Axis(a, x.Rank)).ToHashSet();
        foreach (var d in drop)
            if (shape[d] != 1) throw c.Error($"cannot squeeze dimension {d} of shape {ShapeUtil.Format(shape)}: its size is not 1");
        return x.Reshape(Enumerable.Range(0, x.Rank).Where(d => !drop.Contains(d)).Select(d => shape[d]).ToArray());
    }

    private static Tensor Concat(OnnxOpContext c)
    {
        if (!c.Node.Has("axis")) throw c.Error("axis is required");
        var parts = new List<Tensor>(c.Count);
        for (int i = 0; i < c.Count; i++) parts.Add(c.Input(i).DType == DType.Int32 ? c.Input(i).To(DType.Int64) : c.Input(i));
        int axis = c.Axis(c.Node.Int("axis", 0), parts[0].Rank);
        return parts.Count == 1 ? parts[0] : Tensor.Cat(parts, axis);
    }

    private static Tensor[] Split(OnnxOpContext c)
    {
        var x = c.Input(0);
        int axis = c.Axis(c.Node.Int("axis", 0), x.Rank);
        int outputs = c.Node.Outputs.Count;
        long[]? sizes = c.Opset >= 13 ? (c.Optional(1) != null ? c.Longs(1) : null) : c.Node.Ints("split");
        int dim = x.Shape[axis];
        if (sizes == null || sizes.Length == 0)
        {
            // Equal parts, the last smaller when the size does not divide (opset 18's num_outputs rule).
            int n = c.Opset >= 18 && c.Node.Has("num_outputs") ? (int)c.Node.Int("num_outputs", outputs) : outputs;
            if (n <= 0) throw c.Error("has no outputs to split into");
            int part = (dim + n - 1) / n;
            sizes = Enumerable.Range(0, n).Select(i => (long)Math.Max(0, Math.Min(part, dim - i * part))).ToArray();
        }
        if (sizes.Length != outputs || sizes.Any(s => s < 0) || sizes.Sum() != dim)
            throw c.Error($"split sizes [{string.Join(", ", sizes)}] do not divide dimension {axis} of size {dim} into {outputs} outputs");
        var result = new Tensor[sizes.Length];
        int at = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            result[i] = x.Narrow(axis, at, (int)sizes[i]);
            at += (int)sizes[i];
        }
        return result;
    }

    private static Tensor Slice(OnnxOpContext c)
    {
        var x = c.Input(0);
        long[] starts, ends, axes, steps;
        if (c.Opset < 10)
        {
            starts = c.Node.Ints("starts") ?? throw c.Error("starts is required");
            ends = c.Node.Ints("ends") ?? throw c.Error("ends is required");
            axes = c.Node.Ints("axes") ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
            steps = Enumerable.Repeat(1L, starts.Length).ToArray();
        }
        else
        {
            starts = c.Longs(1);
            ends = c.Longs(2);
            axes = c.Optional(3) != null ? c.Longs(3) : Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
            steps = c.Optional(4) != null ? c.Longs(4) : Enumerable.Repeat(1L, starts.Length).ToArray();
        }
        if (ends.Length != starts.Length || axes.Length != starts.Length || steps.Length != starts.Length)
            throw c.Error($"starts, ends, axes and steps have {starts.Length}, {ends.Length}, {axes.Length} and {steps.Length} values");
        if (axes.Select(a => c.Axis(a, x.Rank)).Distinct().Count() != axes.Length) throw c.Error($"axes [{string.Join(", ", axes)}] name a dimension twice");
        for (int i = 0; i < starts.Length; i++)
        {
            int axis = c.Axis(axes[i], x.Rank);
            long dim = x.Shape[axis], step = steps[i];
            if (step == 0) throw c.Error("a step of 0");
            long start = starts[i] < 0 ? starts[i] + dim : starts[i];
            long end = ends[i] < 0 ? ends[i] + dim : ends[i];
            if (step > 0)
            {
                start = Math.Clamp(start, 0, dim);
                end = Math.Clamp(end, 0, dim);
            }
            else
            {
                start = Math.Clamp(start, 0, dim - 1);
                end = Math.Clamp(end, -1, dim - 1);
            }
            if (step == 1)
            {
                x = x.Narrow(axis, (int)start, (int)Math.Max(0, end - start));
                continue;
            }
            var picked = new List<long>();
            for (long j = start; step > 0 ? j < end : j > end; j += step) picked.Add(j);
            x = x.IndexSelect(axis, Ints(picked.ToArray()));
        }
        return x;
    }

    private static Tensor Gather(OnnxOpContext c)
    {
        var data = c.Input(0);
        var indices = c.Input(1);
        if (!IsInteger(indices)) throw c.Error($"indices must be an integer tensor, got {indices.DType.Name()}");
        int axis = c.Axis(c.Node.Int("axis", 0), data.Rank);
        var flat = c.Longs(1);
        long dim = data.Shape[axis];
        for (int i = 0; i < flat.Length; i++)
        {
            if (flat[i] < -dim || flat[i] >= dim) throw c.Error($"index {flat[i]} is out of range for dimension {axis} of size {dim}");
            if (flat[i] < 0) flat[i] += dim;
        }
        var picked = data.IndexSelect(axis, Ints(flat));
        var shape = new List<int>(data.Shape.ToArray()[..axis]);
        shape.AddRange(indices.Shape.ToArray());
        shape.AddRange(data.Shape.ToArray()[(axis + 1)..].ToArray());
        return picked.Reshape(shape.ToArray());
    }

    private static Tensor Expand(OnnxOpContext c)
    {
        var x = c.Input(0);
        var requested = c.Longs(1);
        if (requested.Any(d => d < 0 || d > int.MaxValue)) throw c.Error($"shape [{string.Join(", ", requested)}] has an invalid size");
        // ONNX broadcasts both ways: a requested 1 keeps the input's size.
        var shape = ShapeUtil.Broadcast("Expand", x.Shape.ToArray(), requested.Select(d => (int)d).ToArray());
        CheckElements(c, shape);
        return x.Shape.SequenceEqual(shape) ? x : x.Expand(shape);
    }

    private static Tensor Tile(OnnxOpContext c)
    {
        var x = c.Input(0);
        var repeats = c.Longs(1);
        if (repeats.Length != x.Rank || repeats.Any(r => r < 0)) throw c.Error($"repeats [{string.Join(", ", repeats)}] must give a non-negative count for each of {x.Rank} dimensions");
        CheckElements(c, x.Shape.ToArray().Select((d, i) => (int)Math.Min(int.MaxValue, d * repeats[i])).ToArray());
        for (int d = 0; d < x.Rank; d++)
            if (repeats[d] != 1) x = Tensor.Cat(Enumerable.Repeat(x, (int)repeats[d]).ToList(), d);
        return x;
    }

    private static Tensor Pad(OnnxOpContext c)
    {
        var x = c.Input(0);
        var mode = c.Node.String("mode") ?? "constant";
        if (mode != "constant") throw c.Unsupported($"Pad mode '{mode}' (constant is)");
        long[] pads;
        double value;
        int[] axes;
        if (c.Opset < 11)
        {
            pads = c.Node.Ints(c.Opset < 2 ? "paddings" : "pads") ?? throw c.Error("pads is required");
            value = c.Node.Float("value", 0f);
            axes = Enumerable.Range(0, x.Rank).ToArray();
        }
        else
        {
            pads = c.Longs(1);
            value = c.Optional(2) != null ? c.Scalar(2) : 0;
            axes = c.Optional(3) != null ? c.Longs(3).Select(a => c.Axis(a, x.Rank)).ToArray() : Enumerable.Range(0, x.Rank).ToArray();
        }
        if (pads.Length != 2 * axes.Length) throw c.Error($"pads has {pads.Length} values for {axes.Length} axes");
        for (int i = 0; i < axes.Length; i++)
        {
            int d = axes[i];
            long before = pads[i], after = pads[i + axes.Length];
            if (Math.Abs(before) > int.MaxValue / 2 || Math.Abs(after) > int.MaxValue / 2) throw c.Error($"pads [{string.Join(", ", pads)}] are too large");
            // Negative pads crop.
            if (before < 0 || after < 0)
            {
                long keep = x.Shape[d] + Math.Min(before, 0) + Math.Min(after, 0);
                if (keep < 0) throw c.Error($"pads [{string.Join(", ", pads)}] crop more than dimension {d} holds");
                x = x.Narrow(d, (int)-Math.Min(before, 0), (int)keep);
            }
            if (before > 0 || after > 0)
            {
                var shape = x.Shape.ToArray();
                shape[d] += (int)Math.Max(before, 0) + (int)Math.Max(after, 0);
                CheckElements(c, shape);
                var parts = new List<Tensor>(3);
                if (before > 0) parts.Add(Filled(x, d, (int)before, value));
                parts.Add(x);
                if (after > 0) parts.Add(Filled(x, d, (int)after, value));
                x = Tensor.Cat(parts, d);
            }
        }
        return x;
    }

    private static Tensor Constant(OnnxOpContext c)
    {
        var n = c.Node;
        if (n.Has("value")) return n.Tensor("value")!;
        if (n.Has("value_float")) return Tensor.Scalar(n.Float("value_float", 0f));
        if (n.Has("value_floats")) return OnnxValues.Shaped(n.Floats("value_floats")!, n.Floats("value_floats")!.Length);
        if (n.Has("value_int")) return OnnxValues.Shaped(new[] { n.Int("value_int", 0) }, Array.Empty<int>());
        if (n.Has("value_ints")) return Ints(n.Ints("value_ints")!);
        if (n.Has("sparse_value") || n.Has("value_string") || n.Has("value_strings")) throw c.Unsupported("a sparse or string Constant");
        throw c.Error("sets none of value, value_float(s), value_int(s)");
    }

    private static Tensor ConstantOfShape(OnnxOpContext c)
    {
        var requested = c.Longs(0);
        if (requested.Any(d => d < 0 || d > int.MaxValue)) throw c.Error($"shape [{string.Join(", ", requested)}] has an invalid size");
        var shape = requested.Select(d => (int)d).ToArray();
        CheckElements(c, shape);
        var value = c.Node.Tensor("value");
        if (value == null) return Tensor.Zeros(shape);
        if (value.NumEl != 1) throw c.Error($"value must hold one element, got shape {ShapeUtil.Format(value.Shape.ToArray())}");
        return value.Reshape([]).Expand(shape).Contiguous();
    }

    private static Tensor Range(OnnxOpContext c)
    {
        var start = c.Input(0);
        if (IsInteger(start))
        {
            long s = (long)c.Scalar(0), limit = (long)c.Scalar(1), delta = (long)c.Scalar(2);
            if (delta == 0) throw c.Error("delta is 0");
            long count = Math.Max(0, (limit - s + delta + (delta > 0 ? -1 : 1)) / delta);
            if (count > MaxElements) throw c.Error($"Range of {count} elements is too large");
            var v = new long[count];
            for (long i = 0; i < count; i++) v[i] = s + i * delta;
            return Ints(v);
        }
        double fs = c.Scalar(0), flimit = c.Scalar(1), fdelta = c.Scalar(2);
        if (fdelta == 0 || !double.IsFinite(fs) || !double.IsFinite(flimit) || !double.IsFinite(fdelta)) throw c.Error($"Range({fs}, {flimit}, {fdelta}) is not a finite range");
        double n = Math.Max(0, Math.Ceiling((flimit - fs) / fdelta));
        if (n > MaxElements) throw c.Error($"Range of {n} elements is too large");
        var f = new float[(int)n];
        for (int i = 0; i < f.Length; i++) f[i] = (float)(fs + i * fdelta);
        var result = OnnxValues.Shaped(f, f.Length);
        return start.DType == DType.Float64 ? result.To(DType.Float64) : result;
    }

    private static void CheckElements(OnnxOpContext c, int[] shape)
    {
        long total = 1;
        foreach (var d in shape)
        {
            total *= d;
            if (total > MaxElements) throw c.Error($"the result {ShapeUtil.Format(shape)} would hold more than 2^31 elements");
        }
    }
}
