namespace Sapling.Autograd;

/// <summary>Runs recorded gradient rules in reverse topological order and accumulates into leaf tensors' Grad.</summary>
internal static class BackwardEngine
{
    /// <summary>How many gradient buffers the last backward on this thread released before it returned (for tests).</summary>
    [ThreadStatic] internal static int ReleasedEarly;

    public static void Run(Tensor root, Tensor? gradient, bool retainGraph)
    {
        ReleasedEarly = 0;
        if (!root.RequiresGrad)
            throw new InvalidOperationException("Backward(): the tensor does not require grad (no input of it has RequiresGrad = true, or it was computed under NoGrad)");
        if (gradient == null)
        {
            if (root.NumEl != 1)
                throw new InvalidOperationException($"Backward() without a gradient needs a scalar output, this one has shape {ShapeUtil.Format(root.shape)}; pass a gradient of the same shape");
            gradient = Tensor.OnesLike(root);
        }
        else if (!ShapeUtil.SameShape(gradient.shape, root.shape))
        {
            throw new ArgumentException($"Backward(): gradient shape {ShapeUtil.Format(gradient.shape)} does not match output shape {ShapeUtil.Format(root.shape)}");
        }
        else if (gradient.DType != root.DType)
        {
            throw new ArgumentException($"Backward(): gradient dtype {gradient.DType.Name()} does not match output dtype {root.DType.Name()}");
        }

        using var _ = NoGrad.Enter();
        var order = TopologicalOrder(root);
        var pending = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance) { [root] = gradient };
        // Gradients that a rule handed to more than one input (or that the caller passed in) must not be stolen
        // by a leaf, since later in-place accumulation would change them for everyone else.
        var shared = new HashSet<Tensor>(ReferenceEqualityComparer.Instance) { gradient };
        var handedOut = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            if (!pending.Remove(t, out var g)) continue;
            if (t.GradFn == null)
            {
                AccumulateIntoLeaf(t, g, canSteal: !shared.Contains(g));
                t.RunPostAccumulateGradHooks();
                continue;
            }
            var fn = t.GradFn;
            var inputGrads = fn.Apply(g);
            // One tensor returned for several inputs is shared from the start, so none of them releases it early.
            for (int k = 0; k < inputGrads.Length; k++)
                for (int j = 0; j < k; j++)
                    if (inputGrads[k] != null && ReferenceEquals(inputGrads[k], inputGrads[j])) shared.Add(inputGrads[k]!);
            for (int k = 0; k < inputGrads.Length; k++)
            {
                var input = fn.Inputs[k];
                var ig = inputGrads[k];
                if (ig == null || !input.RequiresGrad) continue;
                if (!ShapeUtil.SameShape(ig.shape, input.shape))
                    throw new InvalidOperationException($"internal error: gradient rule of '{fn.Name}' returned shape {ShapeUtil.Format(ig.shape)} for an input of shape {ShapeUtil.Format(input.shape)}");
                if (ig.DType != input.DType)
                    throw new InvalidOperationException($"internal error: gradient rule of '{fn.Name}' returned {ig.DType.Name()} for a {input.DType.Name()} input");
                if (!handedOut.Add(ig) || ReferenceEquals(ig, g)) shared.Add(ig);
                if (pending.TryGetValue(input, out var acc))
                {
                    pending[input] = acc.Add(ig);
                    // Partial sums nobody else holds are dead once added (storage is reference-counted, so a view
                    // of them elsewhere keeps its buffer).
                    if (!shared.Contains(acc)) Release(acc);
                    if (!shared.Contains(ig)) Release(ig);
                }
                else
                {
                    pending[input] = ig;
                }
            }
            if (!retainGraph) fn.Release();
            // An intermediate tensor's gradient is dead once its rule has run: its buffer goes back to the pool now,
            // as PyTorch frees it, instead of when the step's scope ends, unless it was passed on as it is or is
            // held elsewhere (the caller's gradient, or one handed to several inputs).
            if (!shared.Contains(g) && !PassedOn(inputGrads, g)) Release(g);
        }
    }

    private static void Release(Tensor gradient)
    {
        gradient.Dispose();
        ReleasedEarly++;
    }

    private static bool PassedOn(Tensor?[] inputGrads, Tensor g)
    {
        foreach (var ig in inputGrads)
            if (ReferenceEquals(ig, g)) return true;
        return false;
    }

    private static void AccumulateIntoLeaf(Tensor leaf, Tensor g, bool canSteal)
    {
        if (leaf.Grad == null)
        {
            // A fresh, exclusively owned, contiguous gradient becomes .Grad as it is; anything else is copied.
            bool owned = canSteal && g.IsContiguous && g.offset == 0 && g.storage.Length == g.NumEl && g.storage.IsExclusive && g.IsLeaf;
            var grad = owned ? g : g.ContiguousCopy();
            grad.KeepAlive();
            leaf.Grad = grad;
        }
        else
        {
            leaf.Grad.AddInPlace(g);
        }
    }

    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor Node, int NextInput)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (node, next) = stack.Pop();
            var inputs = node.GradFn?.Inputs;
            if (inputs != null && next < inputs.Count)
            {
                stack.Push((node, next + 1));
                var child = inputs[next];
                if (child.RequiresGrad && visited.Add(child)) stack.Push((child, 0));
                continue;
            }
            order.Add(node);
        }
        return order;
    }
}
