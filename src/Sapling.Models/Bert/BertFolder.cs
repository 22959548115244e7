using Sapling.IO;

namespace Sapling.Models.Bert;

/// <summary>BERT folders as Hugging Face writes them: config.json and model.safetensors under BertModel's names.</summary>
public static class BertFolder
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";

    public static BertConfig ReadConfig(string directory)
    {
        var configPath = Path.Combine(directory, ConfigFile);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"model folder '{directory}' has no {ConfigFile}", configPath);
        return BertConfig.FromJson(File.ReadAllText(configPath), configPath);
    }

    /// <summary>
    /// Loads the encoder in evaluation mode. A checkpoint's "bert." prefix (from BertFor... models) is taken off,
    /// the position_ids buffer older checkpoints carry is not needed, and task heads (cls.*, classifier.*) are left out.
    /// </summary>
    public static BertModel Load(string directory)
    {
        var config = ReadConfig(directory);
        var weightsPath = Path.Combine(directory, WeightsFile);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"model folder '{directory}' has no {WeightsFile}", weightsPath);
        var model = new BertModel(config);
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, value) in SafeTensors.LoadAll(weightsPath))
        {
            var key = name.StartsWith("bert.", StringComparison.Ordinal) ? name["bert.".Length..] : name;
            if (key == "embeddings.position_ids" || key.StartsWith("cls.", StringComparison.Ordinal) || key.StartsWith("classifier.", StringComparison.Ordinal)) continue;
            weights[key] = value;
        }
        Warnings.WarnNonFinite(weightsPath, weights);
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

    public static void Save(string directory, BertModel model)
    {
        Directory.CreateDirectory(directory);
        SafeTensors.Save(Path.Combine(directory, WeightsFile), model.StateDict(), new Dictionary<string, string> { ["format"] = "pt" });
        AtomicFile.WriteAllText(Path.Combine(directory, ConfigFile), model.Config.ToJson());
    }
}
