using System.Text.Json;
using Sapling.Testing;

namespace Sapling.Optim.Tests;

/// <summary>Optimisers and schedules against torch.optim on the same gradients (tests/fixtures/make_optim_fixtures.py).</summary>
public class OptimizerTests
{
    private static readonly JsonElement Root = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Directory, "optim.json"))).RootElement;

    private static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => v.GetSingle()).ToArray();

    private static Dictionary<string, Func<Tensor[], Optimizer>> Makers() => new()
    {
        ["sgd"] = ps => new Sgd(ps, lr: 0.1),
        ["sgd_momentum"] = ps => new Sgd(ps, lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01),
        ["sgd_nesterov"] = ps => new Sgd(ps, lr: 0.05, momentum: 0.9, weightDecay: 0.01, nesterov: true),
        ["adam"] = ps => new Adam(ps, lr: 0.01),
        ["adam_wd_amsgrad"] = ps => new Adam(ps, lr: 0.02, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1, amsgrad: true),
        ["adamw"] = ps => new AdamW(ps, lr: 0.01, weightDecay: 0.1),
        ["sgd_two_groups"] = ps => new Sgd([new ParamGroup([ps[0]], learningRate: 0.01), new ParamGroup([ps[1]])], lr: 0.1, momentum: 0.5),
    };

    public static TheoryData<string> Names() => new(Makers().Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void TrajectoryMatchesTorchOptim(string name)
    {
        var c = Root.GetProperty("optimizers").GetProperty(name);
        var shapes = c.GetProperty("shapes").EnumerateArray().Select(s => s.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        var initial = c.GetProperty("initial").EnumerateArray().ToArray();
        var ps = new[] { Tensor.FromArray(Floats(initial[0]), shapes[0]).RequiresGrad_(), Tensor.FromArray(Floats(initial[1]), shapes[1]).RequiresGrad_() };
        var opt = Makers()[name](ps);
        var grads = c.GetProperty("grads").EnumerateArray().ToArray();
        var after = c.GetProperty("after").EnumerateArray().ToArray();
        for (int step = 0; step < grads.Length; step++)
        {
            var g = grads[step].EnumerateArray().ToArray();
            for (int i = 0; i < ps.Length; i++) ps[i].Grad = Tensor.FromArray(Floats(g[i]), shapes[i]);
            opt.Step();
            var expected = after[step].EnumerateArray().ToArray();
            for (int i = 0; i < ps.Length; i++)
                TensorAssert.Close(Floats(expected[i]), ps[i], rtol: 1e-5f, atol: 1e-6f);
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void SavedStateResumesIdentically(string name)
    {
        var c = Root.GetProperty("optimizers").GetProperty(name);
        var grads = c.GetProperty("grads").EnumerateArray().ToArray();
        Tensor[] Fresh() => [Tensor.Ones(3, 4).RequiresGrad_(), Tensor.Ones(4).RequiresGrad_()];
        void Apply(Optimizer o, Tensor[] ps, int step)
        {
            var g = grads[step].EnumerateArray().ToArray();
            ps[0].Grad = Tensor.FromArray(Floats(g[0]), 3, 4);
            ps[1].Grad = Tensor.FromArray(Floats(g[1]), 4);
            o.Step();
        }
        var straight = Fresh();
        var a = Makers()[name](straight);
        for (int s = 0; s < grads.Length; s++) Apply(a, straight, s);

        var first = Fresh();
        var b = Makers()[name](first);
        for (int s = 0; s < 3; s++) Apply(b, first, s);
        var (tensors, json) = b.StateDict();
        // State stored as float64 (as another writer may keep it) loads into the parameters' float32 and resumes the same.
        foreach (var stored in new[] { DType.Float32, DType.Float64 })
        {
            var state = tensors.ToDictionary(kv => kv.Key, kv => kv.Value.DType == DType.Float32 ? kv.Value.To(stored) : kv.Value);
            var resumed = new[] { first[0].Detach().Clone().RequiresGrad_(), first[1].Detach().Clone().RequiresGrad_() };
            var c2 = Makers()[name](resumed);
            c2.LoadStateDict(state, json);
            Assert.Equal(3, c2.StepCount);
            for (int s = 3; s < grads.Length; s++) Apply(c2, resumed, s);
            Assert.Equal(straight[0].ToArray(), resumed[0].ToArray());
            Assert.Equal(straight[1].ToArray(), resumed[1].ToArray());
        }
    }

    [Fact]
    public void ReduceLROnPlateauMatchesTorch()
    {
        var c = Root.GetProperty("plateau");
        var p = Tensor.Zeros(1).RequiresGrad_();
        var opt = new Sgd([p], lr: 1.0);
        var plateau = new ReduceLROnPlateau(opt, "min", factor: 0.5, patience: 2, threshold: 1e-2, cooldown: 1, minLr: 0.1);
        var metrics = c.GetProperty("metrics").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var lrs = c.GetProperty("lrs").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        for (int i = 0; i < metrics.Length; i++)
        {
            plateau.Step(metrics[i]);
            Assert.Equal(lrs[i], opt.ParamGroups[0].LearningRate, 9);
        }
        var saved = plateau.StateDict();
        var again = new ReduceLROnPlateau(new Sgd([Tensor.Zeros(1).RequiresGrad_()], lr: 1.0), "min", 0.5, 2, 1e-2, 1, 0.1);
        again.LoadStateDict(saved);
        Assert.Equal(plateau.Best, again.Best);
        Assert.Equal(opt.ParamGroups[0].LearningRate, again.Optimizer.ParamGroups[0].LearningRate);
    }

    [Fact]
    public void StepLRMatchesTorch()
    {
        var lrs = Root.GetProperty("step_lr").GetProperty("lrs").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var opt = new Sgd([Tensor.Zeros(1).RequiresGrad_()], lr: 1.0);
        var schedule = new StepLR(opt, stepSize: 3, gamma: 0.5);
        foreach (var expected in lrs)
        {
            schedule.Step();
            Assert.Equal(expected, opt.ParamGroups[0].LearningRate, 12);
        }
    }

    [Fact]
    public void CosineWithWarmupFollowsItsFormula()
    {
        var opt = new AdamW([Tensor.Zeros(1).RequiresGrad_()], lr: 1.0);
        var schedule = new CosineWithWarmup(opt, warmupSteps: 10, totalSteps: 110, minRatio: 0.1);
        var lr = new List<double> { opt.ParamGroups[0].LearningRate };
        for (int i = 0; i < 120; i++)
        {
            schedule.Step();
            lr.Add(opt.ParamGroups[0].LearningRate);
        }
        Assert.Equal(0.0, lr[0], 12);
        Assert.Equal(0.5, lr[5], 12);
        Assert.Equal(1.0, lr[10], 12);
        Assert.Equal(0.1 + 0.9 * 0.5, lr[60], 12);
        Assert.Equal(0.1, lr[110], 12);
        Assert.Equal(0.1, lr[119], 12);
        var restored = new CosineWithWarmup(new AdamW([Tensor.Zeros(1).RequiresGrad_()], lr: 1.0), 10, 110, 0.1);
        restored.LoadStateDict(schedule.StateDict());
        Assert.Equal(lr[^1], restored.Optimizer.ParamGroups[0].LearningRate, 12);
    }

    [Fact]
    public void ClipGradNormMatchesTorch()
    {
        var c = Root.GetProperty("clip");
        var grads = c.GetProperty("grads").EnumerateArray().ToArray();
        var a = Tensor.Zeros(5, 3).RequiresGrad_();
        var b = Tensor.Zeros(7).RequiresGrad_();
        a.Grad = Tensor.FromArray(Floats(grads[0]), 5, 3);
        b.Grad = Tensor.FromArray(Floats(grads[1]), 7);
        float norm = GradientClipping.ClipGradNorm([a, b], 2f);
        Assert.Equal(c.GetProperty("norm").GetSingle(), norm, 4);
        var clipped = c.GetProperty("clipped").EnumerateArray().ToArray();
        TensorAssert.Close(Floats(clipped[0]), a.Grad!, 1e-5f, 1e-6f);
        TensorAssert.Close(Floats(clipped[1]), b.Grad!, 1e-5f, 1e-6f);
        Assert.Equal(2f, GradientClipping.GradNorm([a, b]), 3);
    }

    [Fact]
    public void PenaltiesHaveTheRightGradients()
    {
        var w = Tensor.FromArray(new float[] { -2, 0.5f, 3 }).RequiresGrad_();
        var loss = Penalties.L1([w], 0.1f).Add(Penalties.L2([w], 0.5f));
        Assert.Equal(0.1f * 5.5f + 0.5f * 13.25f, loss.Item(), 4);
        loss.Backward();
        Assert.Equal(new[] { -0.1f - 2f, 0.1f + 0.5f, 0.1f + 3f }, w.Grad!.ToArray());
    }

    [Fact]
    public void FrozenParametersWithoutGradientsAreSkipped()
    {
        var a = Tensor.Ones(2).RequiresGrad_();
        var b = Tensor.Ones(2).RequiresGrad_();
        var opt = new Adam([a, b], lr: 0.1);
        a.Grad = Tensor.Ones(2);
        opt.Step();
        Assert.Equal(new float[] { 1, 1 }, b.ToArray());
        Assert.NotEqual(1f, a[0]);
    }

    [Fact]
    public void BadArgumentsAreExplained()
    {
        var p = Tensor.Ones(2).RequiresGrad_();
        Assert.Contains("learning rate", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([p], lr: -1)).Message);
        Assert.Contains("more than one parameter group", Assert.Throws<ArgumentException>(() => new Sgd([new ParamGroup([p]), new ParamGroup([p])], lr: 0.1)).Message);
        Assert.Contains("Nesterov", Assert.Throws<ArgumentException>(() => new Sgd([p], lr: 0.1, nesterov: true)).Message);
    }
}
