namespace Sapling.Inference.Compression;

/// <summary>What a compressed folder shares with its source: every file except the weights and config.json.</summary>
public static class ModelFolderFiles
{
    /// <summary>
    /// Copies tokenizer.json, generation settings and any other side files from <paramref name="source"/>; the caller
    /// writes config.json and model.safetensors itself. Refuses to write into the source folder.
    /// </summary>
    public static void CopySideFiles(string source, string destination, string op)
    {
        if (Path.GetFullPath(source).TrimEnd(Path.DirectorySeparatorChar) == Path.GetFullPath(destination).TrimEnd(Path.DirectorySeparatorChar))
            throw new ArgumentException($"{op}: --out must be a new folder, not the model folder '{source}' itself");
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.GetFiles(source))
        {
            var name = Path.GetFileName(file);
            // The weights (one file, or shards and their index) are what the caller rewrites.
            if (name is "config.json" or "model.safetensors.index.json" || name.EndsWith(".safetensors", StringComparison.Ordinal)) continue;
            File.Copy(file, Path.Combine(destination, name), overwrite: true);
        }
    }

    /// <summary>Bytes of the folder's weights: model.safetensors, or all its shards.</summary>
    public static long WeightsBytes(string directory)
    {
        long bytes = 0;
        foreach (var file in Directory.GetFiles(directory, "*.safetensors"))
        {
            // A folder of links to the weights (a copy without the bytes) counts the files they name.
            var info = new FileInfo(file);
            bytes += (info.LinkTarget != null ? info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info : info).Length;
        }
        return bytes;
    }
}
