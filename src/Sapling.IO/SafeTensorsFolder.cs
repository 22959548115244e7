using System.Text.Json;

namespace Sapling.IO;

/// <summary>
/// A model folder's weights as Hugging Face stores them: one <c>model.safetensors</c>, or shards listed by
/// <c>model.safetensors.index.json</c> (its <c>weight_map</c> names each tensor's file). Every file is opened
/// (mapped, header checked) once; tensors are found by name across the shards.
/// </summary>
public sealed class SafeTensorsFolder : IDisposable
{
    /// <summary>The file name of unsharded weights.</summary>
    public const string SingleFile = "model.safetensors";
    /// <summary>The file name of the index that maps each tensor to its shard.</summary>
    public const string IndexFile = "model.safetensors.index.json";

    private readonly Dictionary<string, SafeTensorsFile> byTensor;
    private readonly List<SafeTensorsFile> files;

    private SafeTensorsFolder(string directory, List<SafeTensorsFile> files, Dictionary<string, SafeTensorsFile> byTensor, string description)
    {
        (Directory, this.files, this.byTensor, Description) = (directory, files, byTensor, description);
    }

    /// <summary>The model folder, as given to <see cref="Open"/>.</summary>
    public string Directory { get; }

    /// <summary>"model.safetensors" or "model.safetensors.index.json (2 shards)", for messages.</summary>
    public string Description { get; }

    /// <summary>Every tensor name, shard by shard in file order.</summary>
    public IEnumerable<string> Names => files.SelectMany(f => f.Names);

    /// <summary>Bytes of all the weight files together.</summary>
    public long TotalBytes => files.Sum(f => f.Length);

    /// <summary>Whether <paramref name="directory"/> has weights to open: a single file or an index.</summary>
    public static bool Exists(string directory) =>
        File.Exists(Path.Combine(directory, SingleFile)) || File.Exists(Path.Combine(directory, IndexFile));

    /// <summary>Opens the folder's weights; a missing file, a bad index or a tensor listed twice is refused by name.</summary>
    /// <param name="inMemory">Read each file whole into memory instead of mapping it (<see cref="SafeTensorsFile.Open"/>).</param>
    public static SafeTensorsFolder Open(string directory, bool inMemory = false)
    {
        string single = Path.Combine(directory, SingleFile), index = Path.Combine(directory, IndexFile);
        if (File.Exists(single))
        {
            var file = SafeTensorsFile.Open(single, inMemory);
            return new SafeTensorsFolder(directory, [file], file.Names.ToDictionary(n => n, _ => file, StringComparer.Ordinal), SingleFile);
        }
        if (!File.Exists(index))
            throw new FileNotFoundException($"model folder '{directory}' has neither {SingleFile} nor {IndexFile} (convert .bin checkpoints to safetensors first)", single);
        var shards = ReadIndex(index);
        var opened = new List<SafeTensorsFile>();
        var byTensor = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        try
        {
            foreach (var shard in shards.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                string path = Path.Combine(directory, shard);
                if (!File.Exists(path)) throw new FileNotFoundException($"{index}: the weight_map names '{shard}', which is not in '{directory}'", path);
                var file = SafeTensorsFile.Open(path, inMemory);
                opened.Add(file);
                foreach (var name in file.Names)
                {
                    if (byTensor.TryGetValue(name, out var other)) throw new InvalidDataException($"tensor '{name}' is in both '{other.Path}' and '{file.Path}'");
                    byTensor[name] = file;
                }
            }
            foreach (var (name, shard) in shards)
            {
                if (!byTensor.TryGetValue(name, out var file)) throw new InvalidDataException($"{index}: the weight_map puts '{name}' in '{shard}', which has no such tensor");
                if (Path.GetFileName(file.Path) != shard) throw new InvalidDataException($"{index}: the weight_map puts '{name}' in '{shard}', but it is in '{Path.GetFileName(file.Path)}'");
            }
            return new SafeTensorsFolder(directory, opened, byTensor, $"{IndexFile} ({opened.Count} shards)");
        }
        catch
        {
            foreach (var f in opened) f.Dispose();
            throw;
        }
    }

    private static Dictionary<string, string> ReadIndex(string index)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(index));
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{index}: no weight_map object");
            var shards = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in map.EnumerateObject())
            {
                string shard = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : throw new InvalidDataException($"{index}: weight_map.{entry.Name} is not a file name");
                // Shards sit beside the index: a path that leaves the folder is not a shard.
                if (shard.Length == 0 || shard != Path.GetFileName(shard) || shard is "." or "..")
                    throw new InvalidDataException($"{index}: weight_map.{entry.Name} names '{shard}', which is not a file in the model folder");
                shards[entry.Name] = shard;
            }
            return shards;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{index}: not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>Whether any of the folder's files holds a tensor named <paramref name="name"/>.</summary>
    public bool Contains(string name) => byTensor.ContainsKey(name);

    /// <summary>The file holding <paramref name="name"/>.</summary>
    public SafeTensorsFile FileOf(string name) => byTensor.TryGetValue(name, out var file) ? file
        : throw new KeyNotFoundException($"'{Directory}' ({Description}) has no tensor named '{name}'");

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var f in files) f.Dispose();
    }
}
