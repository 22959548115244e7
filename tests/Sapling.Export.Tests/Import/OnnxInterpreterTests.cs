using Sapling.Autograd;
using Sapling.Export.Import;
using Sapling.Export.Onnx;
using Xunit.Abstractions;
using static Sapling.Export.OnnxAttr;

namespace Sapling.Export.Tests.Import;

/// <summary>
/// Graphs built to exercise the interpreter's ops (a transformer block with its decomposed layer norm and erf GELU,
/// shape arithmetic on int64 tensors, asymmetric and SAME padding, ceil-mode pooling, older opsets' attribute forms)
/// give what ONNX Runtime gives on the same file, within 1e-4.
/// </summary>
public sealed class OnnxInterpreterTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-4f;
    private static readonly TensorProto.Types.DataType F = TensorProto.Types.DataType.Float;
    private static readonly TensorProto.Types.DataType I64 = TensorProto.Types.DataType.Int64;

    private static Tensor Random(int seed, params int[] shape) => Tensor.Randn(shape, generator: new Generator((ulong)seed));

    private static ModelProto Model(OnnxGraphBuilder g, long opset = 17)
    {
        var model = OnnxModelFile.Create(g.Graph, "test", new Dictionary<string, string>());
        model.OpsetImport[0].Version = opset;
        return model;
    }

    private void Check(ModelProto model, Dictionary<string, Tensor> inputs)
    {
        var expected = InProcessOnnxRuntime.Run(model, inputs);
        var module = new OnnxModule(OnnxGraph.FromModel(model.Clone(), "test.onnx", null));
        module.Eval();
        IReadOnlyDictionary<string, Tensor> actual;
        using (NoGrad.Enter()) actual = module.Run(inputs);
        foreach (var (name, want) in expected)
        {
            var got = actual[name].To(DType.Float32);
            Assert.Equal(want.Shape.ToArray(), got.Shape.ToArray());
            var a = got.Contiguous().ToArray<float>();
            var b = want.Contiguous().ToArray<float>();
            double worst = 0;
            for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]) / Math.Max(1, Math.Abs(b[i])));
            output.WriteLine($"{name} {ShapeUtil.Format(got.Shape.ToArray())}: max relative difference {worst:E2}");
            Assert.True(worst <= Tolerance, $"{name}: differs from ONNX Runtime by {worst:E3}");
        }
    }

    [Fact]
    public void TransformerBlockWithDecomposedLayerNormAndErfGelu()
    {
        var g = new OnnxGraphBuilder("block");
        g.Input("x", F, "batch", "seq", 8);
        var q = g.Node("Add", [g.Node("MatMul", ["x", g.Weight("wq", Random(1, 8, 8).Mul(0.3f))], "q"), g.Weight("bq", Random(2, 8))], "qb");
        var shape = g.Node("Concat", [g.Node("Slice", [g.Node("Shape", ["x"], "shape"), g.Int64s("s0", [0], 1), g.Int64s("s2", [2], 1)], "bt"), g.Int64s("heads", [2, 4], 2)], "newshape", Int("axis", 0));
        var heads = g.Node("Transpose", [g.Node("Reshape", [q, shape], "split_heads")], "bhtd", Ints("perm", 0, 2, 1, 3));
        var scores = g.Node("Div", [g.Node("MatMul", [heads, g.Node("Transpose", [heads], "kT", Ints("perm", 0, 1, 3, 2))], "qk"), g.Scalar("sqrt_d", 2f)], "scores");
        var attn = g.Node("MatMul", [g.Node("Softmax", [scores], "probs", Int("axis", -1)), heads], "ctx");
        var merged = g.Node("Reshape", [g.Node("Transpose", [attn], "bthd", Ints("perm", 0, 2, 1, 3)), g.Int64s("merge", [0, 0, -1], 3)], "merged");
        var h = g.Node("Add", [merged, "x"], "residual");
        // LayerNorm as PyTorch's older exporters write it.
        var mean = g.Node("ReduceMean", [h], "mean", Ints("axes", -1));
        var centred = g.Node("Sub", [h, mean], "centred");
        var variance = g.Node("ReduceMean", [g.Node("Pow", [centred, g.Scalar("two", 2f)], "sq")], "var", Ints("axes", -1));
        var normed = g.Node("Div", [centred, g.Node("Sqrt", [g.Node("Add", [variance, g.Scalar("eps", 1e-12f)], "var_eps")], "std")], "normed");
        var ln = g.Node("Add", [g.Node("Mul", [normed, g.Weight("gamma", Random(3, 8))], "scaled"), g.Weight("beta", Random(4, 8))], "ln");
        // GELU as x · 0.5 · (1 + erf(x / √2)).
        var erf = g.Node("Erf", [g.Node("Div", [ln, g.Scalar("sqrt2", MathF.Sqrt(2f))], "xs")], "erf");
        var gelu = g.Node("Mul", [g.Node("Mul", [ln, g.Node("Add", [erf, g.Scalar("one", 1f)], "erf1")], "xe"), g.Scalar("half", 0.5f)], "gelu");
        g.Output(gelu, "y", F, "batch", "seq", 8);
        Check(Model(g), new() { ["x"] = Random(5, 2, 5, 8) });
    }

    [Fact]
    public void ShapeArithmeticOnIntegerTensors()
    {
        var g = new OnnxGraphBuilder("shapes");
        g.Input("x", F, 3, 4, 6);
        g.Input("ids", I64, 2, 3);
        var dim0 = g.Node("Gather", [g.Node("Shape", ["x"], "shape"), g.Scalar("zero", 0L)], "dim0", Int("axis", 0));
        var target = g.Node("Concat", [g.Node("Unsqueeze", [dim0, g.Int64s("ax0", [0], 1)], "dim0v"), g.Int64s("minus1", [-1], 1)], "target", Int("axis", 0));
        var flat = g.Node("Reshape", ["x", target], "flat");                                            // [3, 24]
        var stepped = g.Node("Slice", [flat, g.Int64s("st", [1, -2], 2), g.Int64s("en", [100, -24], 2), g.Int64s("axs", [0, 1], 2), g.Int64s("stp", [1, -5], 2)], "stepped");
        var parts = g.Node("Split", [flat, g.Int64s("sizes", [10, 14], 2)], "part", 2, Int("axis", 1));
        var mask = g.Node("Equal", [g.Node("Cast", [g.Node("Greater", [parts[0], g.Scalar("z", 0f)], "pos")], "posi", Int("to", 7)), g.Scalar("onei", 1L)], "mask");
        var chosen = g.Node("Where", [mask, parts[0], g.Node("Neg", [parts[0]], "neg")], "abs_like");
        var range = g.Node("Cast", [g.Node("Range", [g.Scalar("r0", 0L), g.Scalar("r1", 10L), g.Scalar("r2", 1L)], "range")], "rangef", Int("to", 1));
        var expanded = g.Node("Expand", [range, g.Int64s("eshape", [3, 1], 2)], "expanded");
        var summed = g.Node("Add", [chosen, expanded], "summed");
        var padded = g.Node("Pad", [summed, g.Int64s("pads", [1, 0, 0, 2], 4), g.Scalar("padv", 0.5f)], "padded");
        var tiled = g.Node("Tile", [padded, g.Int64s("reps", [1, 2], 2)], "tiled");
        var picked = g.Node("Gather", [tiled, "ids"], "picked", Int("axis", 1));                        // [4, 2, 3]
        var filled = g.Node("ConstantOfShape", [g.Node("Shape", [picked], "pshape")], "filled", Tensor("value", OnnxTensors.Float("v", [0.25f], 1)));
        var squeezed = g.Node("Squeeze", [g.Node("Unsqueeze", [g.Node("Add", [picked, filled], "pf"), g.Int64s("ax2", [1], 1)], "unsq")], "squeezed");
        var flattened = g.Node("Flatten", [squeezed], "flattened", Int("axis", 2));
        g.Output(flattened, "y", F, 4, 2, 3);
        g.Output(stepped, "stepped_out", F, 2, 5);
        g.Output(parts[1], "tail", F, 3, 14);
        Check(Model(g), new() { ["x"] = Random(6, 3, 4, 6), ["ids"] = Tensor.FromArray(new long[] { 0, 5, -1, 3, 2, 11 }, 2, 3) });
    }

    [Fact]
    public void ConvolutionAndPoolingPaddingForms()
    {
        var g = new OnnxGraphBuilder("conv");
        g.Input("x", F, "batch", 3, 11, 9);
        var c1 = g.Node("Conv", ["x", g.Weight("w1", Random(7, 4, 3, 3, 3).Mul(0.3f)), g.Weight("b1", Random(8, 4))], "c1",
            Ints("pads", 1, 2, 0, 1), Ints("strides", 2, 1));
        var c2 = g.Node("Conv", [c1, g.Weight("w2", Random(9, 6, 2, 3, 2).Mul(0.3f))], "c2", String("auto_pad", "SAME_UPPER"), Ints("strides", 2, 2), Int("group", 2));
        var mp = g.Node("MaxPool", [g.Node("LeakyRelu", [c2], "lrelu", Float("alpha", 0.2f))], "mp", Ints("kernel_shape", 2, 2), Ints("strides", 2, 2), Int("ceil_mode", 1));
        var ap = g.Node("AveragePool", [c1], "ap", Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1), Int("count_include_pad", 0));
        var apIncl = g.Node("AveragePool", [c1], "api", Ints("kernel_shape", 3, 2), Ints("strides", 2, 2), Ints("pads", 1, 0, 0, 1), Int("count_include_pad", 1));
        var gp = g.Node("Flatten", [g.Node("GlobalAveragePool", [g.Node("HardSwish", [ap], "hs")], "gap")], "gpf");
        var head = g.Node("Gemm", [gp, g.Weight("wg", Random(10, 4, 5)), g.Weight("bg", Random(11, 5))], "head", Float("alpha", 0.5f), Float("beta", 2f));
        g.Output(head, "logits", F, "batch", 5);
        g.Output(mp, "pooled", F, "batch", 6, 2, 3);
        g.Output(g.Node("Sigmoid", [apIncl], "sig"), "avg_incl", F, "batch", 4, 3, 5);
        Check(Model(g), new() { ["x"] = Random(12, 2, 3, 11, 9) });
    }

    [Fact]
    public void OneDimensionalConvolutionAndNormalisations()
    {
        var g = new OnnxGraphBuilder("conv1d");
        g.Input("x", F, 2, 4, 10);
        var c = g.Node("Conv", ["x", g.Weight("w", Random(13, 6, 4, 3).Mul(0.3f))], "c", Ints("pads", 2, 1), Ints("dilations", 2));
        var bn = g.Node("BatchNormalization", [c, g.Weight("s", Random(14, 6)), g.Weight("b", Random(15, 6)), g.Weight("m", Random(16, 6)), g.Weight("v", Random(17, 6).Abs().Add(0.5f))], "bn", Float("epsilon", 1e-3f));
        var ln = g.Node("LayerNormalization", [g.Node("Transpose", [bn], "t", Ints("perm", 0, 2, 1)), g.Weight("g", Random(18, 6)), g.Weight("bb", Random(19, 6))], "ln", Int("axis", -1), Float("epsilon", 1e-5f));
        var clipped = g.Node("Clip", [ln, g.Scalar("lo", -0.5f), g.Scalar("hi", 0.75f)], "clip");
        var mixed = g.Node("Mean", [g.Node("Max", [clipped, g.Node("Tanh", [ln], "tanh")], "mx"), g.Node("Min", [ln, g.Node("Exp", [g.Node("Neg", [g.Node("Abs", [ln], "abs")], "nabs")], "ex")], "mn")], "mean");
        var reduced = g.Node("ReduceMax", [mixed], "rmax", Ints("axes", 1), Int("keepdims", 0));
        var sm = g.Node("LogSoftmax", [reduced], "lsm", Int("axis", 1));
        g.Output(sm, "y", F, 2, 6);
        g.Output(g.Node("ReduceSum", [mixed, g.Int64s("axes", [2], 1)], "rsum"), "sums", F, 2, 9, 1);
        Check(Model(g), new() { ["x"] = Random(20, 2, 4, 10) });
    }

    [Fact]
    public void OpsetElevenAttributeForms()
    {
        var g = new OnnxGraphBuilder("opset11");
        g.Input("x", F, 2, 3, 4);
        var sm = g.Node("Softmax", ["x"], "sm", Int("axis", 1));                // opset < 13: over the flattened [3·4]
        var un = g.Node("Unsqueeze", [sm], "un", Ints("axes", 0, 3));         // [1, 2, 3, 1, 4]
        var sq = g.Node("Squeeze", [un], "sq", Ints("axes", 0, 3));
        var parts = g.Node("Split", [sq], "part", 2, Int("axis", 2), Ints("split", 1, 3));
        var sum = g.Node("ReduceSum", [parts[1]], "rs", Ints("axes", 2), Int("keepdims", 1));
        var clip = g.Node("Clip", [g.Node("Sub", [sum, parts[0]], "d"), g.Scalar("lo", 0.1f), g.Scalar("hi", 0.9f)], "clip");
        g.Output(clip, "y", F, 2, 3, 1);
        Check(Model(g, opset: 11), new() { ["x"] = Random(21, 2, 3, 4) });
    }

    [Fact]
    public void EmbeddingLookupFromInt64Ids()
    {
        var g = new OnnxGraphBuilder("embed");
        g.Input("input_ids", I64, "batch", "seq");
        var e = g.Node("Gather", [g.Weight("embeddings", Random(22, 10, 8)), "input_ids"], "emb");
        var mask = g.Node("Cast", [g.Node("Unsqueeze", [g.Node("Cast", [g.Node("Greater", ["input_ids", g.Scalar("zero", 0L)], "nz")], "nzf", Int("to", 1)), g.Int64s("ax", [2], 1)], "m3")], "mf", Int("to", 1));
        g.Output(g.Node("Mul", [e, mask], "masked"), "hidden", F, "batch", "seq", 8);
        Check(Model(g), new() { ["input_ids"] = Tensor.FromArray(new long[] { 1, 2, 0, 9, 4, 0, 0, 7 }, 2, 4) });
    }

    [Fact]
    public void RunsAgainWithConstantNodesIntact()
    {
        // Constant nodes hand out their attribute's tensor; releasing it after the first run would break the second.
        var g = new OnnxGraphBuilder("twice");
        g.Input("x", F, 2, 3);
        var k = g.Node("Constant", [], "k", Tensor("value", OnnxTensors.Float("kv", [2f, 3f, 4f], 3)));
        g.Output(g.Node("Mul", [g.Node("Add", ["x", k], "a")], "m"), "y", F, 2, 3);
        g.Graph.Node[^2].Input.Add(k);
        var module = new OnnxModule(OnnxGraph.FromModel(Model(g), "twice.onnx", null));
        var x = Random(30, 2, 3);
        using var _ = NoGrad.Enter();
        var first = module.Forward(x).Contiguous().ToArray<float>();
        var second = module.Forward(x).Contiguous().ToArray<float>();
        Assert.Equal(first, second);
    }

    [Fact]
    public void UnsupportedOpIsRefusedWithItsNode()
    {
        var g = new OnnxGraphBuilder("nms");
        g.Input("x", F, 2, 3);
        g.Output(g.Node("Relu", [g.Node("Hardmax", ["x"], "hm")], "r"), "y", F, 2, 3);
        var e = Assert.Throws<NotSupportedException>(() => new OnnxModule(OnnxGraph.FromModel(Model(g), "nms.onnx", null)));
        Assert.Contains("nms.onnx", e.Message);
        Assert.Contains("'Hardmax'", e.Message);
        Assert.Contains("node 0", e.Message);
    }

    [Fact]
    public void ValuesUsedBeforeTheyAreMadeAreRefused()
    {
        var g = new OnnxGraphBuilder("order");
        g.Input("x", F, 2, 3);
        g.Output(g.Node("Relu", ["later"], "r"), "y", F, 2, 3);
        var e = Assert.Throws<InvalidDataException>(() => OnnxGraph.FromModel(Model(g), "order.onnx", null));
        Assert.Contains("'later'", e.Message);
    }

    [Fact]
    public void ConvFollowedByNormAndRelu()
    {
        // Conv → Relu and Conv → BatchNormalization (→ Relu) run as one fused op in inference; a Conv whose output two
        // nodes read is not fused; a Relu that is the graph's output, a strided grouped convolution and a 1-D one are.
        var g = new OnnxGraphBuilder("conv_relu");
        g.Input("x", F, "batch", 4, 9, 8);
        var a = g.Node("Relu", [g.Node("Conv", ["x", g.Weight("w1", Random(30, 6, 4, 3, 3)), g.Weight("b1", Random(31, 6))], "c1", Ints("pads", 1, 1, 1, 1))], "a");
        var shared = g.Node("Conv", [a, g.Weight("w2", Random(32, 6, 3, 3, 3))], "c2", Ints("pads", 1, 1, 1, 1), Int("group", 2), Ints("strides", 2, 2));
        var sum = g.Node("Add", [g.Node("Relu", [shared], "r2"), shared], "sum");
        g.Output(g.Node("Relu", [g.Node("Conv", [sum, g.Weight("w3", Random(33, 5, 6, 1, 1)), g.Weight("b3", Random(34, 5))], "c3")], "y"), "y", F, "batch", 5, 5, 4);
        g.Input("s", F, "batch", 3, 11);
        g.Output(g.Node("Relu", [g.Node("Conv", ["s", g.Weight("w4", Random(35, 4, 3, 3)), g.Weight("b4", Random(36, 4))], "c4", Ints("pads", 1, 1))], "z"), "z", F, "batch", 4, 11);
        // Conv → BatchNormalization → Relu and Conv → BatchNormalization, with statistics that are not the defaults.
        Tensor Stat(int seed, float offset) => Random(seed, 16).Abs().Add(offset);
        string Norm(string input, string name, int seed) => g.Node("BatchNormalization",
            [input, g.Weight($"{name}.weight", Random(seed, 16)), g.Weight($"{name}.bias", Random(seed + 1, 16)), g.Weight($"{name}.running_mean", Random(seed + 2, 16)), g.Weight($"{name}.running_var", Stat(seed + 3, 0.5f))],
            name, Float("epsilon", 1e-3f));
        var bnr = g.Node("Relu", [Norm(g.Node("Conv", ["x", g.Weight("w5", Random(39, 16, 4, 3, 3)), g.Weight("b5", Random(40, 16))], "c5", Ints("pads", 1, 1, 1, 1)), "bn5", 41)], "bnr");
        g.Output(Norm(g.Node("Conv", [bnr, g.Weight("w6", Random(45, 16, 16, 3, 3).Mul(0.2f))], "c6", Ints("strides", 2, 2)), "bn6", 46), "n", F, "batch", 16, 4, 3);
        var model = Model(g);
        Check(model, new() { ["x"] = Random(37, 2, 4, 9, 8), ["s"] = Random(38, 2, 3, 11) });

        // With a graph (training) the two ops run one after the other and gradients reach the fused Conv's weights.
        var module = new OnnxModule(OnnxGraph.FromModel(model.Clone(), "conv_relu.onnx", null));
        var outputs = module.Run(new Dictionary<string, Tensor> { ["x"] = Random(37, 2, 4, 9, 8), ["s"] = Random(38, 2, 3, 11) });
        (outputs["y"].Sum() + outputs["z"].Sum() + outputs["n"].Sum()).Backward();
        foreach (var (name, p) in module.NamedParameters())
            Assert.True(p.Grad != null && p.Grad.Abs().Sum().Item() > 0, $"{name} received no gradient");
    }

    [Fact]
    public void ImportedGraphTrainsItsWeights()
    {
        // Gradients reach every weight of an imported graph, and batch norm in training mode uses and updates batch statistics.
        var g = new OnnxGraphBuilder("train");
        g.Input("x", F, "batch", 2, 6, 6);
        var c = g.Node("Conv", ["x", g.Weight("conv.weight", Random(23, 4, 2, 3, 3)), g.Weight("conv.bias", Random(24, 4))], "c", Ints("pads", 1, 1, 1, 1));
        var bn = g.Node("BatchNormalization", [c, g.Weight("bn.weight", Tensor.Ones(4)), g.Weight("bn.bias", Tensor.Zeros(4)), g.Weight("bn.running_mean", Tensor.Zeros(4)), g.Weight("bn.running_var", Tensor.Ones(4))], "bn");
        var pooled = g.Node("Flatten", [g.Node("GlobalAveragePool", [g.Node("Relu", [bn], "r")], "gap")], "f");
        g.Output(g.Node("Gemm", [pooled, g.Weight("fc.weight", Random(25, 3, 4)), g.Weight("fc.bias", Tensor.Zeros(3))], "fc", Int("transB", 1)), "logits", F, "batch", 3);
        var module = new OnnxModule(OnnxGraph.FromModel(Model(g), "train.onnx", null));
        Assert.Equal(["conv.weight", "conv.bias", "bn.weight", "bn.bias", "fc.weight", "fc.bias"], module.NamedParameters().Select(p => p.Name).ToArray());
        Assert.Contains("bn.running_mean", module.StateDict().Keys);
        module.Train();
        var loss = module.Forward(Random(26, 4, 2, 6, 6)).Square().Mean();
        loss.Backward();
        foreach (var (name, p) in module.NamedParameters())
            Assert.True(p.Grad != null && p.Grad.Abs().Sum().Item() > 0, $"{name} received no gradient");
        Assert.NotEqual(0f, module.StateDict()["bn.running_mean"].Abs().Sum().Item());
    }
}
