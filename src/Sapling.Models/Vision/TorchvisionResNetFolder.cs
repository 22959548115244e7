using Sapling.IO;

namespace Sapling.Models.Vision;

/// <summary>A torchvision-layout ResNet on disk: config.json and model.safetensors under torchvision's state_dict names, each written atomically.</summary>
public static class TorchvisionResNetFolder
{
    /// <summary>The folder's config file name.</summary>
    public const string ConfigFile = "config.json";
    /// <summary>The folder's weights file name.</summary>
    public const string WeightsFile = "model.safetensors";

    /// <summary>Writes the model with its own config to <paramref name="directory"/>.</summary>
    public static void Save(string directory, TorchvisionResNet model) => Save(directory, model, model.Config);

    /// <summary>The model's weights with <paramref name="config"/> as config.json (the same network, described with a classifier's labels and preprocessing).</summary>
    public static void Save(string directory, TorchvisionResNet model, TorchvisionResNetConfig config)
    {
        config.Validate("ResNet config");
        Directory.CreateDirectory(directory);
        SafeTensors.Save(Path.Combine(directory, WeightsFile), model.StateDict(), new Dictionary<string, string> { ["format"] = "pt", ["model_type"] = TorchvisionResNetConfig.Type });
        AtomicFile.WriteAllText(Path.Combine(directory, ConfigFile), config.ToJson());
    }

    /// <summary>Reads and validates <paramref name="directory"/>/config.json; refuses a folder without one.</summary>
    public static TorchvisionResNetConfig ReadConfig(string directory)
    {
        var configPath = Path.Combine(directory, ConfigFile);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"model folder '{directory}' has no {ConfigFile}", configPath);
        return TorchvisionResNetConfig.FromJson(File.ReadAllText(configPath), configPath);
    }

    /// <summary>Loads the folder in evaluation mode. A torchvision state_dict (num_batches_tracked included or not) loads as it is.</summary>
    public static TorchvisionResNet Load(string directory)
    {
        var config = ReadConfig(directory);
        var weightsPath = Path.Combine(directory, WeightsFile);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"model folder '{directory}' has no {WeightsFile}", weightsPath);
        var model = new TorchvisionResNet(config);
        if (config.Quantization is { } quantization)
        {
            // An int8 folder Sapling wrote: convolutions and the classifier take their I8 values, batch norms float32.
            WeightLoader.AssignQuantized(model, directory, quantization, name => name);
            model.Eval();
            return model;
        }
        var weights = SafeTensors.LoadAll(weightsPath);
        Warnings.WarnNonFinite(weightsPath, weights);
        // torchvision checkpoints saved before PyTorch 0.4.1 have no batch-norm counters; they do not affect the forward.
        var counters = model.StateDict().Keys.Where(k => k.EndsWith(".num_batches_tracked", StringComparison.Ordinal) && !weights.ContainsKey(k)).ToList();
        foreach (var key in counters) weights[key] = Tensor.Zeros([], DType.Int64);
        try
        {
            model.LoadStateDict(weights);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"{weightsPath} does not match {Path.Combine(directory, ConfigFile)}: {e.Message}", e);
        }
        model.Eval();
        return model;
    }
}
