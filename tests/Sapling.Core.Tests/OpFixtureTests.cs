using Sapling.Backends.Cpu;
using Sapling.Testing;

namespace Sapling.Core.Tests;

/// <summary>Every op against PyTorch: same inputs, same outputs, same gradients; then a finite-difference check.</summary>
public class OpFixtureTests
{
    private static Tensor[] One(Tensor t) => [t];

    /// <summary>The Sapling spelling of each case in make_fixtures.py.</summary>
    private static readonly Dictionary<string, Func<Tensor[], Tensor[]>> Ops = new()
    {
        ["add_broadcast"] = x => One(x[0] + x[1]),
        ["sub_broadcast"] = x => One(x[0] - x[1]),
        ["mul_broadcast"] = x => One(x[0] * x[1]),
        ["div_broadcast"] = x => One(x[0] / x[1]),
        ["pow_tensor"] = x => One(x[0].Pow(x[1])),
        ["maximum"] = x => One(x[0].Maximum(x[1])),
        ["minimum"] = x => One(x[0].Minimum(x[1])),
        ["add_scalar"] = x => One(x[0] + 2.5f),
        ["mul_scalar"] = x => One(x[0] * -1.5f),
        ["rsub_scalar"] = x => One(2f - x[0]),
        ["rdiv_scalar"] = x => One(3f / x[0]),
        ["pow_scalar"] = x => One(x[0].Pow(3f)),
        ["neg"] = x => One(-x[0]),
        ["exp"] = x => One(x[0].Exp()),
        ["log"] = x => One(x[0].Log()),
        ["sqrt"] = x => One(x[0].Sqrt()),
        ["rsqrt"] = x => One(x[0].Rsqrt()),
        ["abs"] = x => One(x[0].Abs()),
        ["sin"] = x => One(x[0].Sin()),
        ["cos"] = x => One(x[0].Cos()),
        ["tanh"] = x => One(x[0].Tanh()),
        ["sigmoid"] = x => One(x[0].Sigmoid()),
        ["relu"] = x => One(x[0].Relu()),
        ["silu"] = x => One(x[0].Silu()),
        ["gelu"] = x => One(x[0].Gelu()),
        ["gelu_tanh"] = x => One(x[0].Gelu(tanhApproximation: true)),
        ["square"] = x => One(x[0].Square()),
        ["reciprocal"] = x => One(x[0].Reciprocal()),
        ["clamp"] = x => One(x[0].Clamp(-0.5f, 0.7f)),
        ["sum_all"] = x => One(x[0].Sum()),
        ["sum_dim_keep"] = x => One(x[0].Sum(1, keepDim: true)),
        ["sum_dims"] = x => One(x[0].Sum([0, 2])),
        ["mean_dim"] = x => One(x[0].Mean(-1)),
        ["var_dim"] = x => One(x[0].Var(1)),
        ["std_dims_keep"] = x => One(x[0].Std([0, 2], keepDim: true)),
        ["logsumexp"] = x => One(x[0].LogSumExp(1)),
        ["amax"] = x => One(x[0].Amax([0, 2])),
        ["max_dim"] = x => { var (v, i) = x[0].Max(1); return [v, i]; },
        ["min_dim_keep"] = x => { var (v, i) = x[0].Min(0, keepDim: true); return [v, i]; },
        ["argmax"] = x => One(x[0].ArgMax(-1)),
        ["min_all"] = x => One(x[0].Min()),
        ["max_all"] = x => One(x[0].Max()),
        ["argmin"] = x => One(x[0].ArgMin(0)),
        ["flatten"] = x => One(x[0].Flatten(1) * 2f),
        ["compare_broadcast"] = x => One(Tensor.Stack([x[0].Gt(x[1]).To(DType.Float32), x[0].Ge(x[1]).To(DType.Float32), x[0].Lt(x[1]).To(DType.Float32), x[0].Le(x[1]).To(DType.Float32), x[0].Eq(x[0]).To(DType.Float32), x[0].Ne(x[1]).To(DType.Float32)])),
        ["logical"] = x => One(Tensor.Stack([x[0].LogicalAnd(x[1]).To(DType.Float32), x[0].LogicalOr(x[1]).To(DType.Float32), x[0].LogicalNot().To(DType.Float32)])),
        ["masked_select"] = x => One(x[0].MaskedSelect(x[1]) * 2f),
        ["sign"] = x => One(x[0].Sign()),
        ["matmul_2d"] = x => One(x[0].MatMul(x[1])),
        ["matmul_batched_broadcast"] = x => One(x[0].MatMul(x[1])),
        ["matmul_3d_2d"] = x => One(x[0].MatMul(x[1])),
        ["matmul_vec_mat"] = x => One(x[0].MatMul(x[1])),
        ["matmul_mat_vec"] = x => One(x[0].MatMul(x[1])),
        ["matmul_transposed"] = x => One(x[0].T().MatMul(x[1].Transpose(0, 1))),
        ["matmul_large"] = x => One(x[0].MatMul(x[1])),
        ["transpose_mul"] = x => One(x[0].Transpose(0, 1) * x[1]),
        ["permute_contiguous"] = x => One(x[0].Permute(2, 0, 1).Contiguous() * 2f),
        ["narrow"] = x => One(x[0].Narrow(1, 1, 2) * 3f),
        ["expand"] = x => One(x[0].Expand(3, 4, 5) * Tensor.Arange(0, 60).Reshape(3, 4, 5).To(x[0].DType)),
        ["reshape_noncontiguous"] = x => One(x[0].T().Reshape(-1) * Tensor.Arange(0, 12).To(x[0].DType)),
        ["squeeze_unsqueeze"] = x => One(x[0].Squeeze(1).Unsqueeze(0) * 2f),
        ["index_select"] = x => One(x[0].IndexSelect(1, x[1])),
        ["gather"] = x => One(x[0].Gather(1, x[1])),
        ["scatter_add"] = x => One(x[0].ScatterAdd(0, x[1], x[2])),
        ["masked_fill"] = x => One(x[0].MaskedFill(x[1], -7f)),
        ["where"] = x => One(Tensor.Where(x[0], x[1], x[2])),
        ["tril"] = x => One(x[0].Tril()),
        ["triu_offset"] = x => One(x[0].Triu(1)),
        ["embedding"] = x => One(Tensor.Embedding(x[0], x[1])),
        ["softmax_last"] = x => One(x[0].Softmax(-1)),
        ["softmax_dim0"] = x => One(x[0].Softmax(0)),
        ["log_softmax"] = x => One(x[0].LogSoftmax(-1)),
        ["layer_norm"] = x => One(Tensor.LayerNorm(x[0], [6], x[1], x[2])),
        ["layer_norm_2d_no_affine"] = x => One(Tensor.LayerNorm(x[0], [3, 4], null, null)),
        ["cross_entropy"] = x => One(Tensor.CrossEntropy(x[0], x[1])),
        ["cross_entropy_ignore"] = x => One(Tensor.CrossEntropy(x[0], x[1], ignoreIndex: -100)),
        ["cross_entropy_smoothing"] = x => One(Tensor.CrossEntropy(x[0], x[1], labelSmoothing: 0.1f)),
        ["cross_entropy_sum"] = x => One(Tensor.CrossEntropy(x[0], x[1], Reduction.Sum)),
        ["cross_entropy_none"] = x => One(Tensor.CrossEntropy(x[0], x[1], Reduction.None)),
        ["cross_entropy_3d"] = x => One(Tensor.CrossEntropy(x[0], x[1])),
        ["conv2d_basic"] = x => One(Tensor.Conv2d(x[0], x[1], x[2])),
        ["conv2d_stride_pad"] = x => One(Tensor.Conv2d(x[0], x[1], x[2], stride: (2, 2), padding: (1, 1))),
        ["conv2d_dilation"] = x => One(Tensor.Conv2d(x[0], x[1], null, padding: (2, 2), dilation: (2, 2))),
        ["conv2d_groups"] = x => One(Tensor.Conv2d(x[0], x[1], x[2], padding: (1, 0), groups: 2)),
        ["conv2d_same"] = x => One(Tensor.Conv2d(x[0], x[1], x[2], padding: (1, 1))),
        ["conv2d_wide_kernel"] = x => One(Tensor.Conv2d(x[0], x[1], null, padding: (2, 1))),
        ["max_pool2d"] = x => One(Tensor.MaxPool2d(x[0], (2, 2))),
        ["max_pool2d_stride_pad"] = x => One(Tensor.MaxPool2d(x[0], (3, 3), stride: (2, 2), padding: (1, 1))),
        ["avg_pool2d"] = x => One(Tensor.AvgPool2d(x[0], (2, 2))),
        ["avg_pool2d_pad_include"] = x => One(Tensor.AvgPool2d(x[0], (3, 3), stride: (2, 2), padding: (1, 1))),
        ["avg_pool2d_pad_exclude"] = x => One(Tensor.AvgPool2d(x[0], (3, 3), stride: (2, 2), padding: (1, 1), countIncludePad: false)),
        ["adaptive_avg_pool2d"] = x => One(Tensor.AdaptiveAvgPool2d(x[0], (3, 2))),
        ["adaptive_avg_pool2d_global"] = x => One(Tensor.AdaptiveAvgPool2d(x[0], (1, 1))),
        ["cat"] = x => One(Tensor.Cat([x[0], x[1]], 1)),
        ["stack"] = x => One(Tensor.Stack([x[0], x[1]], 1)),
        ["split_chunk"] = x => One(Tensor.Cat(x[0].Chunk(3, 1).Select((p, i) => p * (i + 1f)).ToArray(), 1)),
        ["to_bfloat16"] = x => One(x[0].To(DType.BFloat16).To(DType.Float32)),
        ["causal_softmax"] = x => One(x[0].CausalSoftmax(offset: 2)),
        ["causal_attention"] = x => One(Tensor.CausalAttention(x[0], x[1], x[2])),
        ["causal_attention_square"] = x => One(Tensor.CausalAttention(x[0], x[1], x[2])),
        ["causal_attention_weights"] = x => One(Tensor.CausalAttentionWeights(x[0], x[1], 0.5)),
        ["linear"] = x => One(Tensor.Linear(x[0], x[1], x[2])),
        ["linear_no_bias"] = x => One(Tensor.Linear(x[0], x[1])),
        ["linear_transposed_weight"] = x => One(Tensor.Linear(x[0], x[1].T(), x[2])),
    };

    /// <summary>Ops with no gradient to check: argmax has none, and bf16 rounding steps dwarf any finite-difference step.</summary>
    private static readonly HashSet<string> NoFiniteDifferences =
        ["argmax", "to_bfloat16"];

    /// <summary>Ops whose spelling above ends in To(DType.Float32), so their output is float32 whatever the input's dtype.</summary>
    private static readonly HashSet<string> ConvertsToFloat32 = ["compare_broadcast", "logical", "to_bfloat16"];

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var n in Fixtures.OpNames()) data.Add(n);
        return data;
    }

    [Fact]
    public void EveryFixtureHasAnOp()
    {
        var missing = Fixtures.OpNames().Where(n => !Ops.ContainsKey(n)).ToList();
        Assert.True(missing.Count == 0, "fixtures without a Sapling op: " + string.Join(", ", missing));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesPyTorch(string name) => MatchesPyTorchIn(name, DType.Float32);

    /// <summary>The same ops on float64 tensors (the reference kernels over double) agree with PyTorch's float32 results.</summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesPyTorchInFloat64(string name) => MatchesPyTorchIn(name, DType.Float64);

    private static void MatchesPyTorchIn(string name, DType dtype)
    {
        var fx = Fixtures.Op(name);
        var op = Ops[name];
        var inputs = fx.Inputs.Select(t => t.DType == DType.Float32 ? t.To(dtype).Clone().RequiresGrad_() : t).ToArray();
        var outputs = op(inputs);
        Assert.Equal(fx.Outputs.Length, outputs.Length);
        for (int i = 0; i < outputs.Length; i++)
        {
            if (outputs[i].DType.IsComputeType() && !ConvertsToFloat32.Contains(name)) Assert.Equal(dtype, outputs[i].DType);
            TensorAssert.Close(fx.Outputs[i], AsFloat32(outputs[i]), rtol: 1e-4f, atol: 1e-5f, what: $"{name} output {i}");
        }
        if (fx.Upstream == null) return;
        outputs[0].Backward(fx.Upstream.To(dtype));
        for (int i = 0; i < inputs.Length; i++)
        {
            if (fx.Grads[i] is not { } expected) continue;
            Assert.NotNull(inputs[i].Grad);
            Assert.Equal(dtype, inputs[i].Grad!.DType);
            TensorAssert.Close(expected, AsFloat32(inputs[i].Grad!), rtol: 1e-4f, atol: 1e-5f, what: $"{name} gradient of input {i}");
        }
    }

    private static Tensor AsFloat32(Tensor t) => t.DType == DType.Float64 ? t.To(DType.Float32) : t;

    /// <summary>The GEMM-backed cases again with each provider pinned, so both agree with PyTorch.</summary>
    [Theory]
    [InlineData("managed")]
    [InlineData("openblas")]
    public void GemmBackedOpsMatchPyTorchWithEachProvider(string provider)
    {
        var p = Gemm.Parse(provider);
        if (p == BlasProvider.OpenBlas && !OpenBlasNative.IsAvailable) return;
        using var _ = Gemm.Use(p);
        foreach (var name in Fixtures.OpNames().Where(n => n.StartsWith("matmul") || n.StartsWith("conv2d")))
            MatchesPyTorch(name);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void GradientsMatchFiniteDifferences(string name)
    {
        var fx = Fixtures.Op(name);
        if (fx.Upstream == null || NoFiniteDifferences.Contains(name)) return;
        GradCheck.Check(x => Ops[name](x)[0], fx.Inputs);
    }
}
