namespace Sapling.NN.Tests;

public class ModuleTests
{
    private sealed class Net : Module<Tensor, Tensor>
    {
        public Net()
        {
            Features = RegisterModule("features", new Sequential(new Conv2d(1, 4, 3, padding: 1), new BatchNorm2d(4), new ReLU(), new AdaptiveAvgPool2d(1), new Flatten()));
            Head = RegisterModule("head", new Linear(4, 3));
        }

        public Sequential Features { get; }
        public Linear Head { get; set; }

        public override Tensor Forward(Tensor input) => Head.Forward(Features.Forward(input));
    }

    [Fact]
    public void StateDictUsesPyTorchDottedNames()
    {
        var keys = new Net().StateDict().Keys.ToArray();
        Assert.Equal(new[]
        {
            "features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias", "head.weight", "head.bias",
            "features.1.running_mean", "features.1.running_var", "features.1.num_batches_tracked",
        }, keys);
    }

    [Fact]
    public void LoadStateDictCopiesValuesInPlace()
    {
        var a = new Net();
        var b = new Net();
        var weightBefore = b.Head.Weight;
        b.LoadStateDict(a.StateDict());
        Assert.Same(weightBefore, b.Head.Weight);
        Assert.Equal(a.Head.Weight.ToArray(), b.Head.Weight.ToArray());
        var x = Tensor.Randn([2, 1, 5, 5], new Generator(1));
        a.Eval();
        b.Eval();
        Assert.Equal(a.Forward(x).ToArray(), b.Forward(x).ToArray());
    }

    [Fact]
    public void StrictLoadingListsMissingAndUnexpectedKeys()
    {
        var state = new Net().StateDict();
        state.Remove("head.bias");
        state["extra.weight"] = Tensor.Zeros(1);
        var ex = Assert.Throws<InvalidOperationException>(() => new Net().LoadStateDict(state));
        Assert.Contains("missing keys: head.bias", ex.Message);
        Assert.Contains("unexpected keys: extra.weight", ex.Message);
        var result = new Net().LoadStateDict(state, strict: false);
        Assert.Equal(new[] { "head.bias" }, result.MissingKeys);
        Assert.Equal(new[] { "extra.weight" }, result.UnexpectedKeys);
    }

    [Fact]
    public void ShapeMismatchNamesKeyAndShapes()
    {
        var state = new Net().StateDict();
        state["head.weight"] = Tensor.Zeros(5, 4);
        var ex = Assert.Throws<InvalidOperationException>(() => new Net().LoadStateDict(state, strict: false));
        Assert.Contains("head.weight", ex.Message);
        Assert.Contains("[5, 4]", ex.Message);
        Assert.Contains("[3, 4]", ex.Message);
    }

    [Fact]
    public void FreezeByPatternStopsGradients()
    {
        var net = new Net();
        Assert.Equal(4, net.Freeze("features.*"));
        Assert.Equal(net.Head.ParameterCount(), net.ParameterCount(trainableOnly: true));
        var loss = net.Forward(Tensor.Randn([2, 1, 5, 5], new Generator(2))).Sum();
        loss.Backward();
        Assert.Null(net.Features.NamedParameters().First().Parameter.Grad);
        Assert.NotNull(net.Head.Weight.Grad);
        Assert.Throws<ArgumentException>(() => net.Freeze("nothing.*"));
        net.Unfreeze();
        Assert.Equal(net.ParameterCount(), net.ParameterCount(trainableOnly: true));
    }

    [Fact]
    public void TrainAndEvalPropagateToChildren()
    {
        var net = new Net();
        net.Eval();
        Assert.All(net.NamedModules(), m => Assert.False(m.Module.Training));
        net.Train();
        Assert.All(net.NamedModules(), m => Assert.True(m.Module.Training));
    }

    [Fact]
    public void ParameterCountAndPrinting()
    {
        var net = new Net();
        Assert.Equal(4 * 9 + 4 + 4 + 4 + 12 + 3, net.ParameterCount());
        var text = net.ToString();
        Assert.Contains("(head): Linear(in_features=4, out_features=3, bias=True)", text);
        Assert.Contains("(0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))", text);
    }

    [Fact]
    public void ZeroGradClearsGradients()
    {
        var net = new Net();
        net.Forward(Tensor.Randn([2, 1, 5, 5], new Generator(3))).Sum().Backward();
        net.ZeroGrad();
        Assert.All(net.Parameters(), p => Assert.Null(p.Grad));
    }
}
