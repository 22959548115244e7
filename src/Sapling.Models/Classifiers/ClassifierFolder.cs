using Sapling.IO;

namespace Sapling.Models.Classifiers;

/// <summary>
/// A classifier on disk in Hugging Face's shape: <c>config.json</c> + <c>model.safetensors</c>. Both files are written
/// atomically, so an interrupted save leaves the previous model intact.
/// </summary>
public static class ClassifierFolder
{
    /// <summary>The folder's config file name.</summary>
    public const string ConfigFile = "config.json";
    /// <summary>The folder's weights file name.</summary>
    public const string WeightsFile = "model.safetensors";

    /// <summary>Builds an untrained classifier of the configured architecture.</summary>
    public static IClassifier Create(ClassifierConfig config, Generator? generator = null)
    {
        config.Validate("classifier config");
        return config.ModelType switch
        {
            "mlp" => new Mlp(config, generator),
            "cnn" => new SmallCnn(config, generator),
            "resnet" => new ResNet(config, generator),
            "torchvision_resnet" => TorchvisionResNetClassifier.Create(config, generator),
            _ => throw new ArgumentException($"unknown model_type '{config.ModelType}'"),
        };
    }

    /// <summary>Writes <paramref name="classifier"/> with its own config to <paramref name="directory"/>.</summary>
    public static void Save(string directory, IClassifier classifier) => Save(directory, classifier, classifier.Config);

    /// <summary>Saves with <paramref name="config"/> as config.json (e.g. the classifier's own with a quantization entry).</summary>
    public static void Save(string directory, IClassifier classifier, ClassifierConfig config)
    {
        // A torchvision ResNet keeps its own config.json (torchvision's layout), with the classifier's labels and preprocessing.
        if (classifier.Module is Vision.TorchvisionResNet network)
        {
            Vision.TorchvisionResNetFolder.Save(directory, network, TorchvisionResNetClassifier.FolderConfig(network, config));
            return;
        }
        Directory.CreateDirectory(directory);
        var json = config.ToJson();
        AtomicFile.WriteAllText(Path.Combine(directory, ConfigFile), json);
        SafeTensors.Save(Path.Combine(directory, WeightsFile), classifier.Module.StateDict(), new Dictionary<string, string> { ["format"] = "pt", ["model_type"] = classifier.Config.ModelType });
    }

    /// <summary>Reads only config.json of a model folder.</summary>
    public static ClassifierConfig ReadConfig(string directory)
    {
        var configPath = Path.Combine(directory, ConfigFile);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"model folder '{directory}' has no {ConfigFile} (a model folder holds {ConfigFile} and {WeightsFile}, as written by 'sapling train')", configPath);
        if (IsTorchvisionResNet(directory)) return TorchvisionResNetClassifier.ClassifierView(Vision.TorchvisionResNetFolder.ReadConfig(directory));
        return ClassifierConfig.FromJson(File.ReadAllText(configPath), configPath);
    }

    private static bool IsTorchvisionResNet(string directory) => ModelRegistry.ModelTypeOf(directory) == Vision.TorchvisionResNetConfig.Type;

    /// <summary>
    /// Loads the classifier in <paramref name="directory"/> in evaluation mode: a torchvision ResNet folder, or one
    /// Sapling wrote (float or int8). Weights that do not match the config are refused.
    /// </summary>
    public static IClassifier Load(string directory)
    {
        if (Directory.Exists(directory) && File.Exists(Path.Combine(directory, ConfigFile)) && IsTorchvisionResNet(directory))
            return new TorchvisionResNetClassifier(Vision.TorchvisionResNetFolder.Load(directory));
        var configPath = Path.Combine(directory, ConfigFile);
        var weightsPath = Path.Combine(directory, WeightsFile);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"model folder '{directory}' has no {ConfigFile} (a model folder holds {ConfigFile} and {WeightsFile}, as written by 'sapling train')", configPath);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"model folder '{directory}' has no {WeightsFile}", weightsPath);
        var config = ClassifierConfig.FromJson(File.ReadAllText(configPath), configPath);
        var classifier = Create(config);
        if (config.Quantization != null)
        {
            WeightLoader.AssignQuantized(classifier.Module, directory, config.Quantization, name => name);
            classifier.Module.Eval();
            return classifier;
        }
        // Each tensor keeps its stored dtype (I8 for quantized layers, I64 for batch-norm counters); LoadStateDict
        // converts the rest to the model's float32.
        var weights = SafeTensors.LoadAll(weightsPath);
        Warnings.WarnNonFinite(weightsPath, weights);
        try
        {
            classifier.Module.LoadStateDict(weights);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"{weightsPath} does not match {configPath}: {e.Message}", e);
        }
        classifier.Module.Eval();
        return classifier;
    }
}
