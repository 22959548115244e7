namespace Sapling.Export.Import;

internal static partial class OnnxOps
{
    private static bool IsFloat(Tensor t) => t.DType is DType.Float32 or DType.Float64;

    private static bool IsInteger(Tensor t) => t.DType is DType.Int64 or DType.Int32;

    /// <summary>A broadcasting binary op: float tensors through Sapling's op (autograd), integer tensors on the host.</summary>
    private static Tensor Binary(OnnxOpContext c, Func<Tensor, Tensor, Tensor> onFloat, Func<long, long, long>? onInteger)
    {
        var a = c.Input(0);
        var b = c.Input(1);
        if (IsFloat(a) && IsFloat(b))
        {
            if (a.DType != b.DType) throw c.Error($"inputs are {a.DType.Name()} and {b.DType.Name()}; ONNX requires one type");
            return onFloat(a, b);
        }
        if (IsInteger(a) && IsInteger(b) && onInteger != null) return HostBinary(c, a, b, onInteger);
        throw c.Error($"inputs are {a.DType.Name()} and {b.DType.Name()}; expected two float or two integer tensors");
    }

    private static long IntegerDivide(long a, long b) => b == 0 ? throw new DivideByZeroException("integer division by zero") : a / b;

    private static Tensor Variadic(OnnxOpContext c, Func<Tensor, Tensor, Tensor> onFloat, Func<long, long, long>? onInteger)
    {
        if (c.Count == 0) throw c.Error("needs at least one input");
        var acc = c.Input(0);
        for (int i = 1; i < c.Count; i++)
        {
            var b = c.Input(i);
            if (IsFloat(acc) && IsFloat(b)) acc = onFloat(acc, b);
            else if (IsInteger(acc) && IsInteger(b) && onInteger != null) acc = HostBinary(c, acc, b, onInteger);
            else throw c.Error($"inputs are {acc.DType.Name()} and {b.DType.Name()}; expected float or integer tensors of one type");
        }
        return acc;
    }

    private static Tensor Unary(OnnxOpContext c, Func<Tensor, Tensor> onFloat, Func<long, long> onInteger)
    {
        var x = c.Input(0);
        if (IsFloat(x)) return onFloat(x);
        if (IsInteger(x)) return HostMap(x, onInteger);
        throw c.Error($"input 0 is {x.DType.Name()}; expected a float or integer tensor");
    }

    private static Tensor Pow(OnnxOpContext c)
    {
        var x = Float(c, 0);
        var y = c.Input(1);
        // A constant scalar exponent (x² in a decomposed layer norm) takes the scalar path, which PyTorch's export also emits.
        if (y.NumEl == 1 && !y.RequiresGrad) return x.Pow(c.Scalar(1));
        return x.Pow(IsFloat(y) ? y.To(x.DType) : y.To(x.DType));
    }

    private static Tensor LeakyRelu(OnnxOpContext c)
    {
        var x = Float(c, 0);
        float alpha = c.Node.Float("alpha", 0.01f);
        return Tensor.Where(x.Gt(0), x, x.Mul(alpha));
    }

    private static Tensor Elu(OnnxOpContext c)
    {
        var x = Float(c, 0);
        float alpha = c.Node.Float("alpha", 1f);
        return Tensor.Where(x.Gt(0), x, x.Minimum(0).Exp().Sub(1).Mul(alpha));
    }

    private static Tensor Softplus(OnnxOpContext c)
    {
        // log(1 + eˣ) written as max(x, 0) + log(1 + e^−|x|), which does not overflow for large x.
        var x = Float(c, 0);
        return x.Relu().Add(x.Abs().Neg().Exp().Add(1).Log());
    }

    private static Tensor HardSigmoid(Tensor x, float alpha, float beta) => x.Mul(alpha).Add(beta).Clamp(0, 1);

    private static Tensor Gelu(OnnxOpContext c)
    {
        var approximate = c.Node.String("approximate") ?? "none";
        return approximate switch
        {
            "none" => Float(c, 0).Gelu(),
            "tanh" => Float(c, 0).Gelu(tanhApproximation: true),
            _ => throw c.Error($"attribute approximate is '{approximate}'; ONNX defines 'none' and 'tanh'"),
        };
    }

    private static Tensor Clip(OnnxOpContext c)
    {
        var x = c.Input(0);
        double min, max;
        if (c.Opset < 11)
        {
            min = c.Node.Float("min", float.NegativeInfinity);
            max = c.Node.Float("max", float.PositiveInfinity);
        }
        else
        {
            min = c.Optional(1) != null ? c.Scalar(1) : double.NegativeInfinity;
            max = c.Optional(2) != null ? c.Scalar(2) : double.PositiveInfinity;
        }
        if (IsInteger(x)) return HostMap(x, v => (long)Math.Clamp(v, min, max));
        if (!IsFloat(x)) throw c.Error($"input 0 is {x.DType.Name()}; expected a float or integer tensor");
        if (double.IsNegativeInfinity(min) && double.IsPositiveInfinity(max)) return x;
        if (double.IsNegativeInfinity(min)) return x.Minimum(max);
        if (double.IsPositiveInfinity(max)) return x.Maximum(min);
        return x.Clamp(min, max);
    }

    private static Tensor[] Dropout(OnnxOpContext c)
    {
        // Inference semantics (ONNX Runtime's): the input passes unchanged; a requested mask output is all true.
        var x = c.Input(0);
        if (c.Node.Outputs.Count < 2 || c.Node.Outputs[1].Length == 0) return [x];
        var mask = OnnxValues.Shaped(Enumerable.Repeat(true, x.NumEl).ToArray(), x.Shape.ToArray());
        return [x, mask];
    }

    private static Tensor Cast(OnnxOpContext c)
    {
        var x = c.Input(0);
        var to = (OnnxElementType)c.Node.Int("to", 0);
        var target = to switch
        {
            OnnxElementType.Float => DType.Float32,
            OnnxElementType.Double => DType.Float64,
            OnnxElementType.Int64 or OnnxElementType.Int32 or OnnxElementType.Int16 or OnnxElementType.Int8
                or OnnxElementType.UInt8 or OnnxElementType.UInt16 or OnnxElementType.UInt32 or OnnxElementType.UInt64 => DType.Int64,
            OnnxElementType.Bool => DType.Bool,
            _ => throw c.Unsupported($"Cast to {to}"),
        };
        if (x.DType == target) return x;
        if (x.DType == DType.Int32) x = x.To(DType.Int64);
        if (IsFloat(x) && target == DType.Int64)
            return HostFromDoubles(x, v => double.IsFinite(v) ? (long)Math.Truncate(v) : throw c.Error($"cannot cast {v} to an integer"));
        return x.To(target);
    }

    private static Tensor Compare(OnnxOpContext c, Func<Tensor, Tensor, Tensor> onFloat, Func<long, long, bool> onInteger)
    {
        var a = c.Input(0);
        var b = c.Input(1);
        if (IsFloat(a) && IsFloat(b)) return onFloat(a, b);
        if (IsInteger(a) && IsInteger(b)) return HostCompare(c, a, b, onInteger);
        if (a.DType == DType.Bool && b.DType == DType.Bool) return HostCompare(c, a.To(DType.Int64), b.To(DType.Int64), onInteger);
        throw c.Error($"inputs are {a.DType.Name()} and {b.DType.Name()}; expected two tensors of one kind");
    }

    private static Tensor Where(OnnxOpContext c)
    {
        var condition = Bool(c, 0);
        var a = c.Input(1);
        var b = c.Input(2);
        if (IsFloat(a) && IsFloat(b)) return Tensor.Where(condition, a, b);
        if (IsInteger(a) && IsInteger(b))
        {
            var shape = ShapeUtil.Broadcast("Where", ShapeUtil.Broadcast("Where", condition.Shape.ToArray(), a.Shape.ToArray()), b.Shape.ToArray());
            var cv = Broadcast(condition, shape).ToArray<bool>();
            var av = Broadcast(a, shape).ToArray<long>();
            var bv = Broadcast(b, shape).ToArray<long>();
            for (int i = 0; i < av.Length; i++) av[i] = cv[i] ? av[i] : bv[i];
            return OnnxValues.Shaped(av, shape);
        }
        throw c.Error($"inputs 1 and 2 are {a.DType.Name()} and {b.DType.Name()}; expected two tensors of one kind");
    }

    // ---- host arithmetic on integer tensors (shapes, indices): small, exact in int64 ----

    private static Tensor Broadcast(Tensor t, int[] shape)
    {
        if (t.DType == DType.Int32) t = t.To(DType.Int64);
        return t.Shape.SequenceEqual(shape) ? t.Contiguous() : t.Expand(shape).Contiguous();
    }

    private static Tensor HostBinary(OnnxOpContext c, Tensor a, Tensor b, Func<long, long, long> op)
    {
        var shape = ShapeUtil.Broadcast(c.Node.OpType, a.Shape.ToArray(), b.Shape.ToArray());
        var av = Broadcast(a, shape).ToArray<long>();
        var bv = Broadcast(b, shape).ToArray<long>();
        try
        {
            for (int i = 0; i < av.Length; i++) av[i] = op(av[i], bv[i]);
        }
        catch (DivideByZeroException e)
        {
            throw c.Error(e.Message);
        }
        return OnnxValues.Shaped(av, shape);
    }

    private static Tensor HostCompare(OnnxOpContext c, Tensor a, Tensor b, Func<long, long, bool> op)
    {
        var shape = ShapeUtil.Broadcast(c.Node.OpType, a.Shape.ToArray(), b.Shape.ToArray());
        var av = Broadcast(a, shape).ToArray<long>();
        var bv = Broadcast(b, shape).ToArray<long>();
        var result = new bool[av.Length];
        for (int i = 0; i < av.Length; i++) result[i] = op(av[i], bv[i]);
        return OnnxValues.Shaped(result, shape);
    }

    private static Tensor HostMap(Tensor x, Func<long, long> op)
    {
        var v = (x.DType == DType.Int64 ? x : x.To(DType.Int64)).Contiguous().ToArray<long>();
        for (int i = 0; i < v.Length; i++) v[i] = op(v[i]);
        return OnnxValues.Shaped(v, x.Shape.ToArray());
    }

    private static Tensor HostFromDoubles(Tensor x, Func<double, long> op)
    {
        var d = x.To(DType.Float64).Contiguous().ToArray<double>();
        var v = new long[d.Length];
        for (int i = 0; i < v.Length; i++) v[i] = op(d[i]);
        return OnnxValues.Shaped(v, x.Shape.ToArray());
    }
}
