namespace Sapling.Export.Import;

/// <summary>
/// The operators the generic ONNX interpreter runs, each on Sapling's own tensor ops so that float paths keep autograd
/// (an imported graph can be fine-tuned). Integer tensors (shapes, indices, axes) are computed on the host. The table
/// is the single list of what is supported; <see cref="OnnxModule"/> refuses a graph naming its first op not in it.
/// </summary>
internal static partial class OnnxOps
{
    public delegate Tensor[] Op(OnnxOpContext c);

    private static readonly Dictionary<string, Op> Table = new(StringComparer.Ordinal)
    {
        // Elementwise arithmetic and activations (OnnxOps.Elementwise.cs).
        ["Add"] = c => [Binary(c, static (a, b) => a.Add(b), static (a, b) => a + b)],
        ["Sub"] = c => [Binary(c, static (a, b) => a.Sub(b), static (a, b) => a - b)],
        ["Mul"] = c => [Binary(c, static (a, b) => a.Mul(b), static (a, b) => a * b)],
        ["Div"] = c => [Binary(c, static (a, b) => a.Div(b), IntegerDivide)],
        ["Pow"] = c => [Pow(c)],
        ["Max"] = c => [Variadic(c, static (a, b) => a.Maximum(b), Math.Max)],
        ["Min"] = c => [Variadic(c, static (a, b) => a.Minimum(b), Math.Min)],
        ["Sum"] = c => [Variadic(c, static (a, b) => a.Add(b), static (a, b) => a + b)],
        ["Mean"] = c => [Variadic(c, static (a, b) => a.Add(b), null).Div(c.Count)],
        ["Neg"] = c => [Unary(c, static x => x.Neg(), static v => -v)],
        ["Abs"] = c => [Unary(c, static x => x.Abs(), Math.Abs)],
        ["Exp"] = c => [Float(c, 0).Exp()],
        ["Log"] = c => [Float(c, 0).Log()],
        ["Sqrt"] = c => [Float(c, 0).Sqrt()],
        ["Reciprocal"] = c => [Float(c, 0).Reciprocal()],
        ["Sin"] = c => [Float(c, 0).Sin()],
        ["Cos"] = c => [Float(c, 0).Cos()],
        ["Erf"] = c => [Float(c, 0).Erf()],
        ["Relu"] = c => [Float(c, 0).Relu()],
        ["Sigmoid"] = c => [Float(c, 0).Sigmoid()],
        ["Tanh"] = c => [Float(c, 0).Tanh()],
        ["LeakyRelu"] = c => [LeakyRelu(c)],
        ["Elu"] = c => [Elu(c)],
        ["Softplus"] = c => [Softplus(c)],
        ["HardSigmoid"] = c => [HardSigmoid(Float(c, 0), c.Node.Float("alpha", 0.2f), c.Node.Float("beta", 0.5f))],
        ["HardSwish"] = c => [Float(c, 0).Mul(HardSigmoid(Float(c, 0), 1f / 6, 0.5f))],
        ["Gelu"] = c => [Gelu(c)],
        ["Clip"] = c => [Clip(c)],
        ["Identity"] = c => [c.Input(0)],
        ["Dropout"] = c => Dropout(c),
        ["Cast"] = c => [Cast(c)],
        ["Equal"] = c => [Compare(c, static (a, b) => a.Eq(b), static (a, b) => a == b)],
        ["Less"] = c => [Compare(c, static (a, b) => a.Lt(b), static (a, b) => a < b)],
        ["LessOrEqual"] = c => [Compare(c, static (a, b) => a.Le(b), static (a, b) => a <= b)],
        ["Greater"] = c => [Compare(c, static (a, b) => a.Gt(b), static (a, b) => a > b)],
        ["GreaterOrEqual"] = c => [Compare(c, static (a, b) => a.Ge(b), static (a, b) => a >= b)],
        ["Not"] = c => [Bool(c, 0).LogicalNot()],
        ["And"] = c => [Bool(c, 0).LogicalAnd(Bool(c, 1))],
        ["Or"] = c => [Bool(c, 0).LogicalOr(Bool(c, 1))],
        ["Where"] = c => [Where(c)],

        // Neural-network layers (OnnxOps.Layers.cs).
        ["MatMul"] = c => [Float(c, 0).MatMul(Float(c, 1))],
        ["Gemm"] = c => [Gemm(c)],
        ["Conv"] = c => [Conv(c)],
        ["BatchNormalization"] = c => BatchNormalization(c),
        ["LayerNormalization"] = c => [LayerNormalization(c)],
        ["MaxPool"] = c => [Pool(c, max: true)],
        ["AveragePool"] = c => [Pool(c, max: false)],
        ["GlobalAveragePool"] = c => [GlobalPool(c, max: false)],
        ["GlobalMaxPool"] = c => [GlobalPool(c, max: true)],
        ["Softmax"] = c => [Softmax(c, log: false)],
        ["LogSoftmax"] = c => [Softmax(c, log: true)],

        // Reductions (OnnxOps.Reductions.cs).
        ["ReduceMean"] = c => [Reduce(c, ReduceKind.Mean)],
        ["ReduceSum"] = c => [Reduce(c, ReduceKind.Sum)],
        ["ReduceMax"] = c => [Reduce(c, ReduceKind.Max)],
        ["ReduceMin"] = c => [Reduce(c, ReduceKind.Min)],
        ["ReduceProd"] = c => throw c.Unsupported("ReduceProd"),

        // Shapes, views and indexing (OnnxOps.Shapes.cs).
        ["Shape"] = c => [ShapeOf(c)],
        ["Size"] = c => [OnnxValues.Shaped(new long[] { c.Input(0).NumEl })],
        ["Reshape"] = c => [Reshape(c)],
        ["Flatten"] = c => [Flatten(c)],
        ["Transpose"] = c => [Transpose(c)],
        ["Unsqueeze"] = c => [Unsqueeze(c)],
        ["Squeeze"] = c => [Squeeze(c)],
        ["Concat"] = c => [Concat(c)],
        ["Split"] = c => Split(c),
        ["Slice"] = c => [Slice(c)],
        ["Gather"] = c => [Gather(c)],
        ["Expand"] = c => [Expand(c)],
        ["Tile"] = c => [Tile(c)],
        ["Pad"] = c => [Pad(c)],
        ["Constant"] = c => [Constant(c)],
        ["ConstantOfShape"] = c => [ConstantOfShape(c)],
        ["Range"] = c => [Range(c)],
    };

    /// <summary>Every supported op_type of the default domain, sorted, for messages and the README.</summary>
    public static IReadOnlyList<string> Supported { get; } = Table.Keys.Where(k => k != "ReduceProd").Order(StringComparer.Ordinal).ToArray();

    public static bool IsSupported(OnnxNode node) => node.Domain.Length == 0 && Table.ContainsKey(node.OpType) && node.OpType != "ReduceProd";

    public static Tensor[] Run(OnnxOpContext c) => Table[c.Node.OpType](c);

    /// <summary>A float input (float32 or float64); integer and bool inputs are refused by name.</summary>
    private static Tensor Float(OnnxOpContext c, int i)
    {
        var t = c.Input(i);
        return t.DType is DType.Float32 or DType.Float64 ? t : throw c.Error($"input {i} must be a float tensor, got {t.DType.Name()}");
    }

    private static Tensor Bool(OnnxOpContext c, int i)
    {
        var t = c.Input(i);
        return t.DType == DType.Bool ? t : throw c.Error($"input {i} must be a bool tensor, got {t.DType.Name()}");
    }
}
