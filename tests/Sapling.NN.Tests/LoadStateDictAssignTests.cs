namespace Sapling.NN.Tests;

/// <summary>Loading with assign (PyTorch's assign=True): a module built without memory takes the state's tensors themselves.</summary>
public class LoadStateDictAssignTests
{
    [Fact]
    public void AMetaBuiltModuleTakesTheStatesTensorsWithoutACopy()
    {
        var source = new Linear(3, 2, generator: new Generator(5));
        var state = source.StateDict().ToDictionary(e => e.Key, e => e.Value.Clone());
        Linear target;
        using (Tensor.Meta()) target = new Linear(3, 2);
        Assert.True(target.Weight.IsMeta);
        target.LoadStateDict(state, assign: true);
        Assert.False(target.Weight.IsMeta);
        Assert.Equal(source.Weight.ToArray<float>(), target.Weight.ToArray<float>());
        Assert.True(target.Weight.RequiresGrad);
        // The same storage: a change to the state's tensor is the parameter's change.
        using (Autograd.NoGrad.Enter()) state["weight"].MulInPlace(2f);
        Assert.Equal(source.Weight.ToArray<float>().Select(v => v * 2).ToArray(), target.Weight.ToArray<float>());
        var x = Tensor.Randn([4, 3], new Generator(1));
        Assert.Equal(4, target.Forward(x).Shape[0]);
    }
}
