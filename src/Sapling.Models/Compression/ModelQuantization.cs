using Sapling.NN;

namespace Sapling.Models.Compression;

/// <summary>
/// Puts a model's layers into their int8 form: all of them at once (quantizing a float model), or the ones a
/// folder's config.json lists, from the stored I8 values and scales (loading a quantized folder).
/// </summary>
public static class ModelQuantization
{
    /// <summary>Suffix of the tensor beside each int8 weight that holds its per-channel scales.</summary>
    public const string ScaleSuffix = ".weight_scale";

    /// <summary>
    /// Quantizes every <see cref="IQuantizable"/> layer (Linear, GPT-2 Conv1D, Conv2d, Embedding) that
    /// <paramref name="include"/> accepts (all by default) and returns their paths.
    /// </summary>
    public static string[] QuantizeAll(Module model, Func<string, bool>? include = null)
    {
        var names = new List<string>();
        foreach (var (name, module) in model.NamedModules().ToList())
        {
            if (module is not IQuantizable layer || (include != null && !include(name))) continue;
            if (layer.Quantized != null) throw new InvalidOperationException($"layer '{name}' is already int8-quantized");
            layer.Quantize();
            names.Add(name);
        }
        if (names.Count == 0) throw new InvalidOperationException($"{model.GetType().Name} has no Linear, Conv1D or Conv2d layer to quantize");
        return names.ToArray();
    }

    /// <summary>
    /// Gives each layer listed in <paramref name="config"/> its stored int8 weight and scale from
    /// <paramref name="state"/> (read from <paramref name="weightsPath"/>). A missing, mistyped or invalid tensor is an
    /// error naming the file and the tensor.
    /// </summary>
    public static void LoadQuantized(Module model, QuantizationConfig config, IReadOnlyDictionary<string, Tensor> state, string weightsPath, string keyPrefix = "")
    {
        var modules = model.NamedModules().ToDictionary(m => m.Name, m => m.Module);
        foreach (var name in config.Modules)
        {
            if (!modules.TryGetValue(name, out var module))
                throw new InvalidDataException($"{weightsPath}: config.json lists '{name}' as int8-quantized, but the model has no such layer");
            if (module is not IQuantizable layer)
                throw new InvalidDataException($"{weightsPath}: config.json lists '{name}' as int8-quantized, but it is a {module.GetType().Name}, which has no int8 form");
            string weightKey = keyPrefix + name + ".weight", scaleKey = keyPrefix + name + ScaleSuffix;
            if (!state.TryGetValue(weightKey, out var values))
                throw new InvalidDataException($"{weightsPath}: tensor '{weightKey}' is missing (config.json lists '{name}' as int8-quantized)");
            if (!state.TryGetValue(scaleKey, out var scale))
                throw new InvalidDataException($"{weightsPath}: scale tensor '{scaleKey}' is missing (config.json lists '{name}' as int8-quantized; the file is incomplete or corrupt)");
            if (values.DType != DType.Int8)
                throw new InvalidDataException($"{weightsPath}: tensor '{weightKey}' is {values.DType.Name()}, but config.json lists '{name}' as int8-quantized (expected I8)");
            layer.LoadQuantized(values, scale, $"{weightsPath}: {keyPrefix + name}.weight");
        }
    }
}
