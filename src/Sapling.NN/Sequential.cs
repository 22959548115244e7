namespace Sapling.NN;

/// <summary>Runs child modules in order; children are named "0", "1", ... as in PyTorch, or by the names given.</summary>
public sealed class Sequential : Module<Tensor, Tensor>
{
    private readonly List<Module<Tensor, Tensor>> layers = new();

    /// <summary>Creates an empty sequence; add layers with <see cref="Add"/>.</summary>
    public Sequential()
    {
    }

    /// <summary>Creates a sequence of <paramref name="modules"/>, registered under the names "0", "1", ….</summary>
    public Sequential(params Module<Tensor, Tensor>[] modules)
    {
        foreach (var m in modules) Add(m);
    }

    /// <summary>
    /// Creates a sequence whose children are registered under the given names (checkpoint keys "name.…") instead of
    /// indices.
    /// </summary>
    public Sequential(params (string Name, Module<Tensor, Tensor> Module)[] modules)
    {
        foreach (var (name, m) in modules)
        {
            RegisterModule(name, m);
            layers.Add(m);
        }
    }

    /// <summary>Number of layers in the sequence.</summary>
    public int Count => layers.Count;

    /// <summary>The layer at position <paramref name="index"/>, in the order they run.</summary>
    public Module<Tensor, Tensor> this[int index] => layers[index];

    /// <summary>
    /// Appends <paramref name="module"/>, registered under its position as name ("0", "1", …); returns this sequence so
    /// calls can be chained.
    /// </summary>
    public Sequential Add(Module<Tensor, Tensor> module)
    {
        RegisterModule(layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        layers.Add(module);
        return this;
    }

    /// <summary>Feeds <paramref name="input"/> through every layer in order; returns the last layer's output.</summary>
    public override Tensor Forward(Tensor input)
    {
        var x = input;
        foreach (var layer in layers) x = layer.Forward(x);
        return x;
    }
}
