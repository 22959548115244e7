namespace Sapling.IO;

/// <summary>
/// Saves and loads whole <c>.safetensors</c> files, the Hugging Face weight format: an 8-byte little-endian header
/// length, a JSON header naming each tensor's dtype, shape and byte range, then the raw little-endian data.
/// For reading single tensors without loading the rest, open a <see cref="SafeTensorsFile"/>.
/// </summary>
public static class SafeTensors
{
    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="path"/>, replacing it atomically (see <see cref="AtomicFile"/>):
    /// an interrupted save leaves any earlier file intact. Tensors are written in Hugging Face's order (dtype alignment
    /// descending, then name), so the file is byte-for-byte what <c>safetensors.torch.save_file</c> writes for the same
    /// tensors and metadata. Views are written in row-major order. Empty <paramref name="metadata"/> is omitted;
    /// metadata keys are written sorted.
    /// </summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        RequireLittleEndian();
        var entries = SafeTensorsWriter.Plan(tensors);
        byte[] header = SafeTensorsWriter.Header(entries, metadata);
        AtomicFile.Write(path, stream => SafeTensorsWriter.Write(stream, entries, header));
    }

    /// <summary>Loads every tensor of the file, in file order, each as the dtype <see cref="SafeTensorsFile.Load(string)"/> gives.</summary>
    public static Dictionary<string, Tensor> LoadAll(string path) => LoadAll(path, null);

    /// <summary>Loads every tensor of the file converted to <paramref name="dtype"/> (e.g. a bf16 checkpoint as float32 for training).</summary>
    public static Dictionary<string, Tensor> LoadAll(string path, DType? dtype)
    {
        using var file = SafeTensorsFile.Open(path);
        var result = new Dictionary<string, Tensor>(file.Names.Count, StringComparer.Ordinal);
        try
        {
            foreach (string name in file.Names)
                result.Add(name, dtype is { } d ? file.Load(name, d) : file.Load(name));
        }
        catch
        {
            // Half a model is worse than none: give the pooled buffers back before reporting the failure.
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>The format is little-endian and this library copies bytes straight into tensors.</summary>
    internal static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors I/O copies little-endian bytes directly and needs a little-endian machine");
    }
}
