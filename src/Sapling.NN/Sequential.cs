namespace Sapling.NN;

/// <summary>Runs child modules in order; children are named "0", "1", ... as in PyTorch, or by the names given.</summary>
public sealed class Sequential : Module<Tensor, Tensor>
{
    private readonly List<Module<Tensor, Tensor>> layers = new();

    public Sequential()
    {
    }

    public Sequential(params Module<Tensor, Tensor>[] modules)
    {
        foreach (var m in modules) Add(m);
    }

    public Sequential(params (string Name, Module<Tensor, Tensor> Module)[] modules)
    {
        foreach (var (name, m) in modules)
        {
            RegisterModule(name, m);
            layers.Add(m);
        }
    }

    public int Count => layers.Count;

    public Module<Tensor, Tensor> this[int index] => layers[index];

    public Sequential Add(Module<Tensor, Tensor> module)
    {
        RegisterModule(layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        layers.Add(module);
        return this;
    }

    public override Tensor Forward(Tensor input)
    {
        var x = input;
        foreach (var layer in layers) x = layer.Forward(x);
        return x;
    }
}
