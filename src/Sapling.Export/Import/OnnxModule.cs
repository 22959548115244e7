using Sapling.NN;

namespace Sapling.Export.Import;

/// <summary>
/// An imported ONNX graph run as a Sapling module: its float weights are parameters (trainable, with gradients through
/// every op of <see cref="OnnxOps"/>), batch-norm statistics, scalars and integer constants are buffers, and the
/// state dict keys are the ONNX initializer names (a dotted name such as <c>encoder.layer.0.weight</c> nests as it
/// does in PyTorch). <see cref="Run"/> feeds inputs by their ONNX names and returns every graph output by name;
/// <see cref="Forward"/> is the one-input, one-output form.
/// </summary>
public sealed class OnnxModule : Module<Tensor, Tensor>
{
    private readonly Dictionary<string, Tensor> constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> uses = new(StringComparer.Ordinal);

    /// <summary>Tensors held by node attributes (Constant's value): returned as they are on every run, so never released.</summary>
    private readonly List<Tensor> attributeTensors = new();

    /// <summary>
    /// Conv nodes (by index) whose output only a BatchNormalization with constant statistics and/or a Relu read, each
    /// the only reader of the one before: run as one op (-1 where the chain has no such node).
    /// </summary>
    private readonly Dictionary<int, (int Norm, int Relu)> chains = new();

    /// <summary>The Conv each chained BatchNormalization or Relu node belongs to.</summary>
    private readonly Dictionary<int, int> chainOf = new();

    /// <summary>
    /// Creates the module for <paramref name="graph"/>: its initializers become parameters or buffers. Refuses a graph
    /// with an op the interpreter does not run, naming the node.
    /// </summary>
    public OnnxModule(OnnxGraph graph)
    {
        Graph = graph;
        foreach (var node in graph.Nodes)
            if (!OnnxOps.IsSupported(node))
                throw new NotSupportedException($"{graph.Source}: {node.Describe()} uses op '{(node.Domain.Length > 0 ? node.Domain + "." : "")}{node.OpType}', which Sapling's ONNX interpreter does not run (it runs: {string.Join(", ", OnnxOps.Supported)})");
        var statistics = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
        {
            if (node.OpType == "BatchNormalization")
                for (int i = 3; i < Math.Min(5, node.Inputs.Count); i++) statistics.Add(node.Inputs[i]);
            foreach (var name in node.Inputs)
                if (name.Length > 0) uses[name] = uses.GetValueOrDefault(name) + 1;
            foreach (var attribute in node.Attributes.Values)
                if (attribute.Tensor != null) attributeTensors.Add(attribute.Tensor.KeepAlive());
        }
        var graphOutputs = new HashSet<string>(graph.Outputs.Select(o => o.Name), StringComparer.Ordinal);
        // Value name → the Conv whose chain ends in it.
        var chainEnds = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int j = 0; j < graph.Nodes.Count; j++)
        {
            var node = graph.Nodes[j];
            if (node.Domain.Length > 0) continue;
            if (node.OpType == "Conv" && node.Outputs.Count == 1)
            {
                chainEnds[node.Outputs[0]] = j;
                continue;
            }
            if (node.Inputs.Count == 0 || !chainEnds.TryGetValue(node.Inputs[0], out int conv)
                || uses.GetValueOrDefault(node.Inputs[0]) != 1 || graphOutputs.Contains(node.Inputs[0])) continue;
            var (norm, relu) = chains.GetValueOrDefault(conv, (-1, -1));
            bool normFits = node.OpType == "BatchNormalization" && norm < 0 && relu < 0 && node.Inputs.Count == 5
                && node.Inputs.Skip(1).All(graph.Initializers.ContainsKey) && node.Outputs.Skip(1).All(o => o.Length == 0);
            bool reluFits = node.OpType == "Relu" && relu < 0 && node.Inputs.Count == 1;
            if (!normFits && !reluFits) continue;
            chains[conv] = normFits ? (j, -1) : (norm, j);
            chainOf[j] = conv;
            chainEnds.Remove(node.Inputs[0]);
            chainEnds[node.Outputs[0]] = conv;
        }
        foreach (var (name, value) in graph.Initializers)
        {
            // Weights train; running statistics, scalar constants (epsilons, exponents) and integer tensors do not.
            bool trainable = value.DType is DType.Float32 or DType.Float64 && value.NumEl > 1 && !statistics.Contains(name);
            constants[name] = Place(this, name, name, value, trainable);
        }
    }

    /// <summary>The graph this module runs.</summary>
    public OnnxGraph Graph { get; }

    /// <summary>The names <see cref="Run"/> expects inputs under, in the graph's order.</summary>
    public IReadOnlyList<string> InputNames => Graph.Inputs.Select(i => i.Name).ToArray();
    /// <summary>The names <see cref="Run"/> returns outputs under, in the graph's order.</summary>
    public IReadOnlyList<string> OutputNames => Graph.Outputs.Select(o => o.Name).ToArray();

    /// <summary>The single output for the single input; a graph with several inputs or outputs is run with <see cref="Run"/>.</summary>
    public override Tensor Forward(Tensor input)
    {
        if (Graph.Inputs.Count != 1 || Graph.Outputs.Count != 1)
            throw new InvalidOperationException($"{Graph.Source}: the graph has {Graph.Inputs.Count} inputs and {Graph.Outputs.Count} outputs; feed them by name with Run");
        return Run(new Dictionary<string, Tensor> { [Graph.Inputs[0].Name] = input })[Graph.Outputs[0].Name];
    }

    /// <summary>
    /// Runs the graph on inputs named as the file names them. Shapes are checked against the declared ones, except the
    /// leading (batch) dimension, which may differ from a fixed size in the file. Intermediate values are released as
    /// soon as the last node that reads them has run, unless autograd still needs them.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> feeds)
    {
        var values = new Dictionary<string, Tensor>(constants, StringComparer.Ordinal);
        var kept = new HashSet<Tensor>(constants.Values, ReferenceEqualityComparer.Instance);
        kept.UnionWith(attributeTensors);
        foreach (var input in Graph.Inputs)
        {
            if (!feeds.TryGetValue(input.Name, out var value))
                throw new ArgumentException($"{Graph.Source}: input '{input.Name}' {input.FormatShape()} was not given (inputs: {string.Join(", ", Graph.Inputs.Select(i => i.Name))})");
            values[input.Name] = CheckFeed(input, value);
            kept.Add(values[input.Name]);
        }
        foreach (var name in feeds.Keys)
            if (!Graph.Inputs.Any(i => i.Name == name))
                throw new ArgumentException($"{Graph.Source}: '{name}' is not an input of the graph (inputs: {string.Join(", ", Graph.Inputs.Select(i => i.Name))})");
        var outputNames = new HashSet<string>(Graph.Outputs.Select(o => o.Name), StringComparer.Ordinal);
        var remaining = new Dictionary<string, int>(uses, StringComparer.Ordinal);
        int index = -1;
        foreach (var node in Graph.Nodes)
        {
            index++;
            // A node its Conv already applied: its output is in place, its input never existed.
            if (chainOf.TryGetValue(index, out int owner) && Fuses(owner)) continue;
            var inputs = new Tensor?[node.Inputs.Count];
            for (int i = 0; i < inputs.Length; i++) inputs[i] = node.Inputs[i].Length == 0 ? null : values[node.Inputs[i]];
            Tensor[] results;
            try
            {
                var context = new OnnxOpContext(node, inputs, Graph.Opset, Training);
                results = Fuses(index) ? [RunChain(context, chains[index], values)] : OnnxOps.Run(context);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvalidDataException or NotSupportedException or OverflowException)
            {
                var message = e.Message.StartsWith("node ", StringComparison.Ordinal) ? e.Message : $"{node.Describe()}: {e.Message}";
                throw e is NotSupportedException ? new NotSupportedException($"{Graph.Source}: {message}", e) : new InvalidDataException($"{Graph.Source}: {message}", e);
            }
            int produced = 0;
            if (Fuses(index))
            {
                var (norm, relu) = chains[index];
                values[Graph.Nodes[relu >= 0 ? relu : norm].Outputs[0]] = results[0];
                Release(node, values, remaining, kept, outputNames, results);
                continue;
            }
            for (int i = 0; i < node.Outputs.Count; i++)
            {
                if (node.Outputs[i].Length == 0) continue;
                if (i >= results.Length) throw new NotSupportedException($"{Graph.Source}: {node.Describe()}: output {i} ('{node.Outputs[i]}') is not produced by Sapling's {node.OpType}");
                values[node.Outputs[i]] = results[i];
                produced++;
            }
            Release(node, values, remaining, kept, outputNames, results);
        }
        var outputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var o in Graph.Outputs) outputs[o.Name] = values[o.Name];
        return outputs;
    }

    /// <summary>Whether the chain of Conv node <paramref name="conv"/> runs as one op now: always with a Relu alone, in inference with a batch norm.</summary>
    private bool Fuses(int conv) => chains.TryGetValue(conv, out var chain) && (chain.Norm < 0 || !Training);

    private Tensor RunChain(OnnxOpContext conv, (int Norm, int Relu) chain, Dictionary<string, Tensor> values)
    {
        if (chain.Norm < 0) return OnnxOps.ConvRelu(conv);
        var norm = Graph.Nodes[chain.Norm];
        var statistics = new Tensor?[norm.Inputs.Count];
        for (int i = 1; i < statistics.Length; i++) statistics[i] = values[norm.Inputs[i]];
        return OnnxOps.ConvNorm(conv, new OnnxOpContext(norm, statistics, Graph.Opset, Training), relu: chain.Relu >= 0);
    }

    /// <summary>Disposes the inputs this node read last, when nothing else holds them and no gradient will need them.</summary>
    private static void Release(OnnxNode node, Dictionary<string, Tensor> values, Dictionary<string, int> remaining, HashSet<Tensor> kept, HashSet<string> outputNames, Tensor[] results)
    {
        bool recording = Autograd.NoGrad.IsEnabled && results.Any(r => r.RequiresGrad);
        foreach (var name in node.Inputs)
        {
            if (name.Length == 0 || --remaining[name] > 0 || outputNames.Contains(name)) continue;
            var value = values[name];
            values.Remove(name);
            if (recording || kept.Contains(value) || value.RequiresGrad) continue;
            // The same tensor may live on under another name (Identity, Dropout): only the last holder releases it.
            bool aliased = false;
            foreach (var other in values.Values)
                if (ReferenceEquals(other, value)) { aliased = true; break; }
            if (!aliased && !results.Any(r => ReferenceEquals(r, value))) value.Dispose();
        }
    }

    private Tensor CheckFeed(OnnxValueInfo input, Tensor value)
    {
        var expected = input.ElementType switch
        {
            OnnxElementType.Float or OnnxElementType.Float16 or OnnxElementType.BFloat16 => DType.Float32,
            OnnxElementType.Double => DType.Float64,
            OnnxElementType.Bool => DType.Bool,
            OnnxElementType.Undefined => value.DType,
            _ => DType.Int64,
        };
        if (value.DType != expected)
        {
            if (expected == DType.Int64 && value.DType == DType.Int32) value = value.To(DType.Int64);
            else throw new ArgumentException($"{Graph.Source}: input '{input.Name}' is {input.ElementType}, but a {value.DType.Name()} tensor was given");
        }
        if (input.Dims == null) return value;
        var shape = value.Shape.ToArray();
        bool matches = shape.Length == input.Dims.Length;
        for (int i = 1; matches && i < shape.Length; i++) matches = input.Dims[i] < 0 || input.Dims[i] == shape[i];
        if (!matches) throw new ArgumentException($"{Graph.Source}: input '{input.Name}' must have shape {input.FormatShape()} (the first dimension may vary), got {ShapeUtil.Format(shape)}");
        return value;
    }

    /// <summary>Registers a tensor under its dotted name, creating a child module per prefix as a PyTorch state dict nests.</summary>
    private static Tensor Place(Module owner, string fullName, string name, Tensor value, bool trainable)
    {
        int dot = name.IndexOf('.');
        if (dot < 0)
        {
            var tensor = owner switch
            {
                OnnxModule m => m.Register(name, value, trainable, fullName),
                OnnxScope s => s.Register(name, value, trainable, fullName),
                _ => throw new InvalidOperationException("unexpected owner"),
            };
            return tensor;
        }
        var head = name[..dot];
        var scope = owner switch
        {
            OnnxModule m => m.ChildScope(head, fullName),
            OnnxScope s => s.ChildScope(head, fullName),
            _ => throw new InvalidOperationException("unexpected owner"),
        };
        return Place(scope, fullName, name[(dot + 1)..], value, trainable);
    }

    private Tensor Register(string name, Tensor value, bool trainable, string fullName) => OnnxScope.RegisterIn(this, name, value, trainable, fullName,
        (n, v) => RegisterParameter(n, v), (n, v) => RegisterBuffer(n, v));

    private OnnxScope ChildScope(string name, string fullName) => OnnxScope.ChildOf(this, name, fullName, (n, s) => RegisterModule(n, s));

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{Graph.Nodes.Count} nodes, opset {Graph.Opset}";
}
