using Sapling.Autograd;

namespace Sapling;

public sealed partial class Tensor
{
    /// <summary>
    /// Activation checkpointing (Chen et al., 2016; PyTorch's <c>torch.utils.checkpoint</c>): runs
    /// <paramref name="body"/> on <paramref name="input"/> without keeping its intermediates, and in backward runs it
    /// again with gradients recorded and back-propagates through that copy. Memory then holds one body's activations
    /// at a time instead of every body's, for one extra forward pass. <paramref name="parameters"/> are the leaves the
    /// body reads (a layer's parameters): their gradients accumulate during the recomputation, and the result requires
    /// grad when any of them does, even if the input does not (adapters on a frozen model). The default generator's
    /// state is restored for the recomputation, so dropout draws the same masks.
    /// </summary>
    public static Tensor Checkpoint(Func<Tensor, Tensor> body, Tensor input, IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(body);
        var trainable = new List<Tensor>();
        foreach (var p in parameters)
            if (p.requiresGrad) trainable.Add(p);
        if (!NoGrad.IsEnabled || (!input.requiresGrad && trainable.Count == 0)) return body(input);
        var randomState = Generator.Default.GetState();
        Tensor output;
        // The body's intermediates go back to the pool as soon as it returns: only its output stays.
        using (NoGrad.Enter())
        using (var forward = new TensorScope())
            output = forward.MoveToParent(body(input));
        var inputs = new Tensor[trainable.Count + 1];
        inputs[0] = input;
        trainable.CopyTo(inputs, 1);
        return Record(output, "checkpoint", inputs, g =>
        {
            var grads = new Tensor?[inputs.Length];
            var now = Generator.Default.GetState();
            Generator.Default.SetState(randomState);
            try
            {
                using var scope = new TensorScope();
                using var recording = NoGrad.Suspend();
                var x = input.Detach();
                if (input.requiresGrad) x.RequiresGrad = true;
                var again = body(x);
                // The parameters' gradients accumulate here; the input's goes back to the enclosing backward pass.
                again.Backward(g);
                if (x.Grad != null) grads[0] = scope.MoveToParent(x.Grad.Clone());
            }
            finally
            {
                Generator.Default.SetState(now);
            }
            return grads;
        });
    }
}
