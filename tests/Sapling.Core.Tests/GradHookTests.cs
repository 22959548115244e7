namespace Sapling.Core.Tests;

public class GradHookTests
{
    [Fact]
    public void PostAccumulateHookSeesTheCompleteGradientOncePerBackward()
    {
        var w = Tensor.FromArray(new float[] { 1, 2 }).RequiresGrad_();
        var seen = new List<float[]>();
        using var hook = w.RegisterPostAccumulateGradHook(t => seen.Add(t.Grad!.ToArray()));
        // w is used twice: the hook must run after both contributions have been added, not after each.
        (w * 3f + w * w).Sum().Backward();
        Assert.Single(seen);
        Assert.Equal(new float[] { 5, 7 }, seen[0]);
        // A second backward accumulates, and the hook sees the accumulated gradient.
        (w * 2f).Sum().Backward();
        Assert.Equal(new float[] { 7, 9 }, seen[1]);
    }

    [Fact]
    public void EveryLeafOfTheGraphGetsItsHookCalled()
    {
        var first = Tensor.FromArray(new float[] { 1 }).RequiresGrad_();
        var last = Tensor.FromArray(new float[] { 2 }).RequiresGrad_();
        var order = new List<string>();
        using var a = first.RegisterPostAccumulateGradHook(_ => order.Add("first"));
        using var b = last.RegisterPostAccumulateGradHook(_ => order.Add("last"));
        ((first * 2f).Exp() * last).Sum().Backward();
        Assert.Equal(["first", "last"], order.Order());
    }

    [Fact]
    public void DisposingTheHandleRemovesTheHook()
    {
        var w = Tensor.FromArray(new float[] { 1 }).RequiresGrad_();
        int calls = 0;
        var hook = w.RegisterPostAccumulateGradHook(_ => calls++);
        (w * 2f).Sum().Backward();
        hook.Dispose();
        (w * 2f).Sum().Backward();
        Assert.Equal(1, calls);
    }

    [Fact]
    public void HooksOnlyGoOnLeaves()
    {
        var w = Tensor.FromArray(new float[] { 1 }).RequiresGrad_();
        Assert.Throws<InvalidOperationException>(() => (w * 2f).RegisterPostAccumulateGradHook(_ => { }));
    }
}
