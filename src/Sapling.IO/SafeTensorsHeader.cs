using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;

namespace Sapling.IO;

/// <summary>
/// Parses and validates the JSON header of a safetensors file. Validation is as strict as Hugging Face's reader: every
/// entry well formed, byte lengths matching shape × element size, and the data section covered exactly once with no
/// gaps, overlaps or trailing bytes, so that a file accepted here loads in PyTorch and the other way round.
/// </summary>
internal sealed class SafeTensorsHeader
{
    /// <summary>Hugging Face refuses headers above 100 MB; a larger length field means a corrupt or foreign file.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    public const string MetadataKey = "__metadata__";

    private SafeTensorsHeader(List<SafeTensorInfo> tensors, Dictionary<string, SafeTensorInfo> byName, Dictionary<string, string> metadata)
    {
        Tensors = tensors;
        ByName = byName;
        Metadata = metadata;
    }

    /// <summary>Entries in data-section order.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    public IReadOnlyDictionary<string, SafeTensorInfo> ByName { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Reads the 8-byte length prefix and checks it fits the file.</summary>
    public static long ReadHeaderLength(string path, ReadOnlySpan<byte> start, long fileLength)
    {
        if (fileLength < 8)
            throw Fail(path, $"the file is {fileLength} bytes long, shorter than the 8-byte header length that starts every safetensors file");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(start);
        if (n > MaxHeaderBytes)
            throw Fail(path, $"the header length field says {n} bytes, more than the {MaxHeaderBytes}-byte limit (corrupt, or not a safetensors file)");
        if ((long)n > fileLength - 8)
            throw Fail(path, $"the header length field says {n} bytes but only {fileLength - 8} bytes follow it (truncated, or not a safetensors file)");
        return (long)n;
    }

    public static SafeTensorsHeader Parse(string path, ReadOnlySpan<byte> json, long dataLength)
    {
        // Checked up front because the JSON reader reports bad UTF-8 as a generic syntax error.
        if (!Utf8.IsValid(json)) throw Fail(path, "the header is not valid UTF-8");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw Fail(path, $"the header is not valid JSON ({e.Message})", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Fail(path, $"the header is a JSON {Kind(root)}, not an object mapping tensor names to their entries");

            var tensors = new List<SafeTensorInfo>();
            var byName = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
            Dictionary<string, string>? metadata = null;
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    if (metadata != null) throw Fail(path, $"\"{MetadataKey}\" appears twice in the header");
                    metadata = ParseMetadata(path, property.Value);
                    continue;
                }
                if (byName.ContainsKey(property.Name)) throw Fail(path, $"tensor name '{property.Name}' appears twice in the header");
                var info = ParseEntry(path, property.Name, property.Value);
                byName.Add(info.Name, info);
                tensors.Add(info);
            }

            tensors.Sort(static (a, b) =>
            {
                int c = a.Begin.CompareTo(b.Begin);
                if (c == 0) c = a.End.CompareTo(b.End);
                return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
            });
            CheckCoverage(path, tensors, dataLength);
            return new SafeTensorsHeader(tensors, byName, metadata ?? new Dictionary<string, string>(StringComparer.Ordinal));
        }
    }

    private static Dictionary<string, string> ParseMetadata(string path, JsonElement value)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        // serde reads a null metadata as absent, so files that write it that way stay readable.
        if (value.ValueKind == JsonValueKind.Null) return metadata;
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(path, $"\"{MetadataKey}\" is a JSON {Kind(value)}, not an object of strings");
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw Fail(path, $"\"{MetadataKey}\" value for key '{entry.Name}' is a JSON {Kind(entry.Value)}, not a string");
            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
                throw Fail(path, $"\"{MetadataKey}\" key '{entry.Name}' appears twice");
        }
        return metadata;
    }

    private static SafeTensorInfo ParseEntry(string path, string name, JsonElement entry)
    {
        if (entry.ValueKind != JsonValueKind.Object)
            throw Fail(path, $"the entry of tensor '{name}' is a JSON {Kind(entry)}, not an object with dtype, shape and data_offsets");

        JsonElement? dtypeField = null, shapeField = null, offsetsField = null;
        foreach (var field in entry.EnumerateObject())
        {
            // Other fields are ignored, as Hugging Face's reader ignores them.
            switch (field.Name)
            {
                case "dtype": dtypeField = Once(path, name, field, dtypeField); break;
                case "shape": shapeField = Once(path, name, field, shapeField); break;
                case "data_offsets": offsetsField = Once(path, name, field, offsetsField); break;
            }
        }
        if (dtypeField is not { } dtypeValue) throw Fail(path, $"tensor '{name}' has no \"dtype\"");
        if (shapeField is not { } shapeValue) throw Fail(path, $"tensor '{name}' has no \"shape\"");
        if (offsetsField is not { } offsetsValue) throw Fail(path, $"tensor '{name}' has no \"data_offsets\"");

        if (dtypeValue.ValueKind != JsonValueKind.String)
            throw Fail(path, $"tensor '{name}' has a dtype that is a JSON {Kind(dtypeValue)}, not a string");
        string dtype = dtypeValue.GetString()!;
        if (!SafeTensorsDType.IsKnown(dtype))
            throw Fail(path, $"tensor '{name}' has unknown dtype \"{dtype}\" (known: {SafeTensorsDType.KnownNames})");

        long[] shape = ParseShape(path, name, shapeValue);
        (long begin, long end) = ParseOffsets(path, name, offsetsValue);

        long expected = ExpectedBytes(path, name, dtype, shape);
        if (end - begin != expected)
            throw Fail(path, $"tensor '{name}' ({dtype}, shape {FormatShape(shape)}) needs {expected} bytes but its data_offsets [{begin}, {end}] span {end - begin}");
        return new SafeTensorInfo(name, dtype, shape, begin, end);
    }

    private static JsonElement Once(string path, string name, JsonProperty field, JsonElement? seen)
    {
        if (seen != null) throw Fail(path, $"tensor '{name}' has \"{field.Name}\" twice");
        return field.Value;
    }

    private static long[] ParseShape(string path, string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array)
            throw Fail(path, $"tensor '{name}' has a shape that is a JSON {Kind(value)}, not an array of sizes");
        var shape = new long[value.GetArrayLength()];
        int i = 0;
        foreach (var d in value.EnumerateArray())
        {
            if (!TryNonNegativeInteger(d, out long size, out string why))
                throw Fail(path, $"tensor '{name}' has shape dimension {i} that is {why}; sizes must be non-negative integers");
            shape[i++] = size;
        }
        return shape;
    }

    private static (long Begin, long End) ParseOffsets(string path, string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != 2)
            throw Fail(path, $"tensor '{name}' has data_offsets {value.GetRawText()}, not a pair [begin, end]");
        long begin = 0, end = 0;
        int i = 0;
        foreach (var o in value.EnumerateArray())
        {
            if (!TryNonNegativeInteger(o, out long at, out string why))
                throw Fail(path, $"tensor '{name}' has a data_offsets {(i == 0 ? "begin" : "end")} that is {why}; offsets must be non-negative integers");
            if (i++ == 0) begin = at;
            else end = at;
        }
        if (begin > end)
            throw Fail(path, $"tensor '{name}' has data_offsets [{begin}, {end}] whose begin is past its end");
        return (begin, end);
    }

    private static bool TryNonNegativeInteger(JsonElement e, out long value, out string why)
    {
        value = 0;
        if (e.ValueKind != JsonValueKind.Number)
        {
            why = $"a JSON {Kind(e)}";
            return false;
        }
        if (e.TryGetInt64(out value))
        {
            why = value < 0 ? $"negative ({value})" : "";
            return value >= 0;
        }
        why = e.TryGetDecimal(out var d) && d < 0 ? $"negative ({e.GetRawText()})" : $"not a 64-bit integer ({e.GetRawText()})";
        return false;
    }

    private static long ExpectedBytes(string path, string name, string dtype, long[] shape)
    {
        try
        {
            long n = SafeTensorsDType.ElementSize(dtype);
            foreach (long d in shape) n = checked(n * d);
            return n;
        }
        catch (OverflowException)
        {
            throw Fail(path, $"tensor '{name}' has shape {FormatShape(shape)}, whose byte size overflows 64 bits");
        }
    }

    /// <summary>The data section must be tiled exactly: Hugging Face rejects holes and overlaps, and so do we.</summary>
    private static void CheckCoverage(string path, List<SafeTensorInfo> sorted, long dataLength)
    {
        long covered = 0;
        SafeTensorInfo? previous = null;
        foreach (var t in sorted)
        {
            if (t.End > dataLength)
                throw Fail(path, $"tensor '{t.Name}' has data_offsets [{t.Begin}, {t.End}] past the end of the {dataLength}-byte data section (the file is truncated)");
            if (t.Begin < covered)
                throw Fail(path, $"tensors '{previous!.Name}' [{previous.Begin}, {previous.End}] and '{t.Name}' [{t.Begin}, {t.End}] overlap");
            if (t.Begin > covered)
                throw Fail(path, $"data bytes [{covered}, {t.Begin}) before tensor '{t.Name}' belong to no tensor (a gap in the data section)");
            covered = t.End;
            previous = t;
        }
        if (covered != dataLength)
            throw Fail(path, $"the data section has {dataLength} bytes but the tensors cover only the first {covered}; bytes [{covered}, {dataLength}) belong to no tensor (a gap at the end)");
    }

    internal static string FormatShape(IReadOnlyList<long> shape) => "[" + string.Join(", ", shape) + "]";

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => e.ValueKind.ToString(),
    };

    private static SafeTensorsFormatException Fail(string path, string problem, Exception? inner = null) => new(path, problem, inner);
}
