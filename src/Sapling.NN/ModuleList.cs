using System.Collections;

namespace Sapling.NN;

/// <summary>
/// Modules held in order under the names 0, 1, 2, … (PyTorch's ModuleList), so a stack of layers registered as
/// "layers" gives the checkpoint keys "layers.0.…", "layers.1.…". Unlike <see cref="Sequential"/> it has no forward of
/// its own: layers that take more than one input are called by their owner.
/// </summary>
public sealed class ModuleList<T> : Module, IReadOnlyList<T> where T : Module
{
    private readonly List<T> items = new();

    /// <summary>Registers <paramref name="module"/> under the next index and returns it.</summary>
    public T Add(T module)
    {
        items.Add(RegisterModule(items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module));
        return module;
    }

    /// <summary>The module at <paramref name="index"/> (registered under the name <c>index.ToString()</c>).</summary>
    public T this[int index] => items[index];
    /// <summary>Number of modules held.</summary>
    public int Count => items.Count;
    /// <summary>Enumerates the modules in index order.</summary>
    public IEnumerator<T> GetEnumerator() => items.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
