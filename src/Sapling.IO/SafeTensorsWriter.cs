using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sapling.IO;

/// <summary>
/// Lays out a safetensors file exactly as Hugging Face's serializer does, so the same tensors give the same bytes:
/// tensors ordered by dtype (widest alignment first, in HF's dtype order) and then by name (UTF-8 byte order), the
/// header as compact JSON with <c>__metadata__</c> first, padded with spaces so the data section starts 8-byte aligned.
/// </summary>
internal static class SafeTensorsWriter
{
    // Bounds each write so byte spans never exceed int.MaxValue, whatever the tensor's element count.
    private const int ChunkElements = 1 << 24;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    internal sealed record Entry(string Name, byte[] NameUtf8, Tensor Tensor, string DType, long Begin, long End);

    /// <summary>Reads the dictionary once, checks it, and assigns data offsets in file order.</summary>
    public static List<Entry> Plan(IReadOnlyDictionary<string, Tensor> tensors)
    {
        var entries = new List<Entry>(tensors.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            if (name is null) throw new ArgumentException("a tensor name is null");
            if (name == SafeTensorsHeader.MetadataKey)
                throw new ArgumentException($"'{SafeTensorsHeader.MetadataKey}' is reserved for the header's metadata and cannot name a tensor");
            if (tensor is null) throw new ArgumentException($"tensor '{name}' is null");
            if (tensor.IsDisposed) throw new ObjectDisposedException(nameof(Tensor), $"tensor '{name}' was disposed before it could be saved");
            // A dictionary with a case-insensitive comparer can still hold names that differ only by case; those are
            // distinct in the file. Exact duplicates can only come from a broken dictionary.
            if (!seen.Add(name)) throw new ArgumentException($"tensor name '{name}' appears twice");
            byte[] utf8;
            try
            {
                utf8 = StrictUtf8.GetBytes(name);
            }
            catch (EncoderFallbackException e)
            {
                throw new ArgumentException($"tensor name '{name}' is not valid Unicode (an unpaired surrogate?)", e);
            }
            entries.Add(new Entry(name, utf8, tensor, SafeTensorsDType.FromSapling(tensor.DType), 0, 0));
        }

        entries.Sort(static (a, b) =>
        {
            int c = SafeTensorsDType.SortRank(b.DType).CompareTo(SafeTensorsDType.SortRank(a.DType));
            return c != 0 ? c : a.NameUtf8.AsSpan().SequenceCompareTo(b.NameUtf8);
        });

        long offset = 0;
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            long bytes = (long)e.Tensor.NumEl * e.Tensor.DType.ElementSize();
            entries[i] = e with { Begin = offset, End = offset + bytes };
            offset += bytes;
        }
        return entries;
    }

    /// <summary>The header bytes including the trailing spaces that align the data section.</summary>
    public static byte[] Header(List<Entry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new MemoryStream();
        // Relaxed escaping leaves non-ASCII names readable, as serde_json writes them; strict escaping would still be
        // valid JSON but would not match Hugging Face's bytes.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WritePropertyName(SafeTensorsHeader.MetadataKey);
                json.WriteStartObject();
                foreach (var (key, value) in SortedMetadata(metadata))
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            foreach (var e in entries)
            {
                json.WritePropertyName(e.NameUtf8);
                json.WriteStartObject();
                json.WriteString("dtype", e.DType);
                json.WritePropertyName("shape");
                json.WriteStartArray();
                foreach (int d in e.Tensor.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WritePropertyName("data_offsets");
                json.WriteStartArray();
                json.WriteNumberValue(e.Begin);
                json.WriteNumberValue(e.End);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }

        int padding = (int)((8 - buffer.Length % 8) % 8);
        for (int i = 0; i < padding; i++) buffer.WriteByte((byte)' ');
        if (buffer.Length > SafeTensorsHeader.MaxHeaderBytes)
            throw new InvalidOperationException($"the safetensors header would be {buffer.Length} bytes, over the {SafeTensorsHeader.MaxHeaderBytes}-byte limit readers enforce; split the tensors over several files");
        return buffer.ToArray();
    }

    /// <summary>Hugging Face keeps metadata in a hash map (no stable order); sorting makes our files reproducible.</summary>
    private static List<KeyValuePair<string, string>> SortedMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        var items = new List<KeyValuePair<string, string>>(metadata.Count);
        foreach (var item in metadata)
        {
            if (item.Key is null || item.Value is null)
                throw new ArgumentException($"metadata key '{item.Key}' has a null value; safetensors metadata maps strings to strings");
            if (item.Key == SafeTensorsHeader.MetadataKey) throw new ArgumentException($"metadata key '{item.Key}' is reserved");
            items.Add(item);
        }
        items.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return items;
    }

    public static void Write(Stream stream, List<Entry> entries, byte[] header)
    {
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (var e in entries)
        {
            // Nothing to write; and Tensor.IsContiguous is false for some empty shapes such as [2, 0, 3].
            if (e.Begin == e.End) continue;
            // Views (transposes, slices) are gathered into row-major order, the only layout the format has.
            var t = e.Tensor.IsContiguous ? e.Tensor : e.Tensor.ContiguousCopy();
            try
            {
                switch (t.DType)
                {
                    case DType.Float32: WriteElements(stream, t.AsReadOnlySpan<float>()); break;
                    case DType.Float64: WriteElements(stream, t.AsReadOnlySpan<double>()); break;
                    case DType.BFloat16: WriteElements(stream, t.AsReadOnlySpan<ushort>()); break;
                    case DType.Float16: WriteElements(stream, t.AsReadOnlySpan<Half>()); break;
                    case DType.Int8: WriteElements(stream, t.AsReadOnlySpan<sbyte>()); break;
                    case DType.Int32: WriteElements(stream, t.AsReadOnlySpan<int>()); break;
                    case DType.Int64: WriteElements(stream, t.AsReadOnlySpan<long>()); break;
                    case DType.Bool: WriteElements(stream, t.AsReadOnlySpan<bool>()); break;
                    default: throw new NotSupportedException($"tensor '{e.Name}' has dtype {t.DType.Name()}, which safetensors cannot hold");
                }
            }
            finally
            {
                if (!ReferenceEquals(t, e.Tensor)) t.Dispose();
            }
        }
    }

    private static void WriteElements<T>(Stream stream, ReadOnlySpan<T> values) where T : unmanaged
    {
        for (int start = 0; start < values.Length; start += ChunkElements)
            stream.Write(MemoryMarshal.AsBytes(values.Slice(start, Math.Min(ChunkElements, values.Length - start))));
    }
}
