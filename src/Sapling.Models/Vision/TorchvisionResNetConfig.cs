using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sapling.Data.Json;

namespace Sapling.Models.Vision;

/// <summary>
/// The ResNet family as torchvision builds it (He et al., 2016; "ResNet v1.5": a bottleneck's stride sits on its 3×3
/// convolution), saved as config.json. <c>layers</c> counts the blocks of the four stages: ResNet-18 is basic blocks
/// [2, 2, 2, 2], ResNet-34 basic [3, 4, 6, 3], ResNet-50 bottleneck [3, 4, 6, 3]. <c>num_classes</c> 0 drops the
/// final linear layer: the model then returns its pooled features (timm's convention).
/// </summary>
public sealed record TorchvisionResNetConfig
{
    /// <summary>The model_type of a torchvision ResNet folder.</summary>
    public const string Type = "torchvision_resnet";

    /// <summary>"basic" (two 3×3 convolutions) or "bottleneck" (1×1, 3×3, 1×1 with 4× expansion).</summary>
    public string Block { get; init; } = "basic";

    /// <summary>layers: blocks in each of the four stages, 1 to 1000 each; default [2, 2, 2, 2] (ResNet-18).</summary>
    public int[] Layers { get; init; } = [2, 2, 2, 2];
    /// <summary>num_channels: channels of the input images, 1 to 64; default 3.</summary>
    public int NumChannels { get; init; } = 3;
    /// <summary>num_classes: outputs of fc; 0 means no classifier (the model returns features); default 1000.</summary>
    public int NumClasses { get; init; } = 1000;

    /// <summary>Labels by class index; empty when the classes have no names.</summary>
    public Dictionary<string, string> Id2Label { get; init; } = new();

    /// <summary>Where the weights came from, for the record (e.g. the ONNX file they were imported from).</summary>
    public string? Source { get; init; }

    /// <summary>Height and width the model takes as a classifier (its inputs are resized to this); 224 × 224 unless set.</summary>
    public int[] ImageSize { get; init; } = [224, 224];

    /// <summary>Shorter side an image is scaled to (aspect kept) before the centre <see cref="ImageSize"/> is cropped, as
    /// torchvision's ImageNet evaluation does (256 for 224); null stretches images to the image size.</summary>
    public int? ResizeShorterSide { get; init; }

    /// <summary>Per-channel mean and standard deviation of pixels in [0, 1] (ImageNet's for torchvision's weights); null: none.</summary>
    public Classifiers.NormalizationConfig? Normalization { get; init; }

    /// <summary>Present when the folder's convolutions and classifier are int8 (see <see cref="Compression.QuantizationConfig"/>).</summary>
    public Compression.QuantizationConfig? Quantization { get; init; }

    /// <summary>
    /// How many times wider a block's output is than its stage's width: 4 for bottlenecks, 1 for basic blocks.
    /// </summary>
    public int Expansion => Block == "bottleneck" ? 4 : 1;

    /// <summary>Width of the pooled features (512 for ResNet-18/34, 2048 for ResNet-50).</summary>
    public int NumFeatures => 512 * Expansion;

    /// <summary>The torchvision constructor's name when the layout is one of its standard depths ("resnet50"), else null.</summary>
    public string? Architecture => (Block, string.Join(",", Layers)) switch
    {
        ("basic", "2,2,2,2") => "resnet18",
        ("basic", "3,4,6,3") => "resnet34",
        ("bottleneck", "3,4,6,3") => "resnet50",
        ("bottleneck", "3,4,23,3") => "resnet101",
        ("bottleneck", "3,8,36,3") => "resnet152",
        _ => null,
    };

    /// <summary>
    /// torchvision's layout for ResNet-<paramref name="depth"/> (18, 34, 50, 101 or 152; others are refused) with
    /// <paramref name="numClasses"/> outputs.
    /// </summary>
    public static TorchvisionResNetConfig ForDepth(int depth, int numClasses = 1000) => depth switch
    {
        18 => new() { Block = "basic", Layers = [2, 2, 2, 2], NumClasses = numClasses },
        34 => new() { Block = "basic", Layers = [3, 4, 6, 3], NumClasses = numClasses },
        50 => new() { Block = "bottleneck", Layers = [3, 4, 6, 3], NumClasses = numClasses },
        101 => new() { Block = "bottleneck", Layers = [3, 4, 23, 3], NumClasses = numClasses },
        152 => new() { Block = "bottleneck", Layers = [3, 8, 36, 3], NumClasses = numClasses },
        _ => throw new ArgumentException($"torchvision ResNets have depth 18, 34, 50, 101 or 152, not {depth}"),
    };

    /// <summary>
    /// Refuses a config the network cannot be built or fed from: an unknown block, layers not four counts of 1 to 1000,
    /// channels or classes out of range, an image size outside 32 to 4096, a resize smaller than the crop, or
    /// normalization of the wrong length. <paramref name="source"/> names the config in the error.
    /// </summary>
    public void Validate(string source)
    {
        if (Block is not ("basic" or "bottleneck")) throw new InvalidDataException($"{source}: block '{Block}' is not 'basic' or 'bottleneck'");
        if (Layers.Length != 4 || Layers.Any(l => l < 1 || l > 1000)) throw new InvalidDataException($"{source}: layers [{string.Join(", ", Layers)}] must give 1 to 1000 blocks for each of 4 stages");
        if (NumChannels is < 1 or > 64) throw new InvalidDataException($"{source}: num_channels {NumChannels} must be between 1 and 64");
        if (NumClasses is < 0 or > 1_000_000) throw new InvalidDataException($"{source}: num_classes {NumClasses} must be between 0 (features only) and 1,000,000");
        if (ImageSize.Length != 2 || ImageSize.Any(s => s is < 32 or > 4096)) throw new InvalidDataException($"{source}: image_size [{string.Join(", ", ImageSize)}] must be [height, width], each 32 to 4096");
        if (ResizeShorterSide is { } r && r < Math.Min(ImageSize[0], ImageSize[1]))
            throw new InvalidDataException($"{source}: resize_shorter_side {r} is smaller than image_size [{ImageSize[0]}, {ImageSize[1]}]: the centre crop would not fit");
        if (Normalization != null && (Normalization.Mean.Length != NumChannels || Normalization.Std.Length != NumChannels || Normalization.Std.Any(s => !(s > 0))))
            throw new InvalidDataException($"{source}: normalization needs {NumChannels} means and {NumChannels} positive standard deviations");
    }

    /// <summary>config.json (model_type torchvision_resnet), indented; optional keys only when set.</summary>
    public string ToJson()
    {
        var labels = new JsonObject();
        foreach (var (k, v) in Id2Label) labels[k] = v;
        var root = new JsonObject
        {
            ["model_type"] = Type,
            ["architectures"] = new JsonArray(NumClasses > 0 ? "TorchvisionResNetForImageClassification" : "TorchvisionResNet"),
            ["block"] = Block,
            ["layers"] = new JsonArray(Layers.Select(l => (JsonNode)l).ToArray()),
            ["num_channels"] = NumChannels,
            ["num_classes"] = NumClasses,
            ["num_features"] = NumFeatures,
            ["id2label"] = labels,
        };
        if (Architecture != null) root["architecture"] = Architecture;
        if (Source != null) root["source"] = Source;
        root["image_size"] = new JsonArray(ImageSize.Select(s => (JsonNode)s).ToArray());
        if (ResizeShorterSide != null) root["resize_shorter_side"] = ResizeShorterSide;
        if (Normalization != null)
            root["normalization"] = new JsonObject
            {
                ["mean"] = new JsonArray(Normalization.Mean.Select(v => (JsonNode)v).ToArray()),
                ["std"] = new JsonArray(Normalization.Std.Select(v => (JsonNode)v).ToArray()),
            };
        if (Quantization != null) root["quantization"] = JsonSerializer.SerializeToNode(Quantization);
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static float[] Numbers(JsonSection c, string key) => c.Array(key)
        .Select((n, i) => JsonSection.TryGetNumber(n, out var v) ? (float)v : throw c.Error($"{key}[{i}]", $"is {JsonSection.Describe(n)}, not a number")).ToArray();

    /// <summary>
    /// Reads and validates config.json text; <paramref name="source"/> names it in errors. layers is required, and
    /// id2label keys must be class indices below num_classes.
    /// </summary>
    public static TorchvisionResNetConfig FromJson(string json, string source)
    {
        var c = JsonSection.Parse(json, source);
        if (c.String("model_type") != Type) throw c.Error("model_type", $"'{c.String("model_type")}' is not '{Type}'");
        var layers = c.Array("layers").Select((n, i) => JsonSection.TryGetInteger(n, out var v) && v is > 0 and <= 1000 ? (int)v : throw c.Error($"layers[{i}]", $"is {JsonSection.Describe(n)}, not a block count")).ToArray();
        var labels = new Dictionary<string, string>();
        if (c.OptionalObject("id2label") is JsonSection section)
            foreach (var (k, v) in section.Node)
                labels[k] = v?.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw c.Error($"id2label.{k}", "is not a string");
        var config = new TorchvisionResNetConfig
        {
            Block = c.OptionalString("block") ?? "basic",
            Layers = layers,
            NumChannels = c.Int("num_channels", 3, 1, 64),
            NumClasses = c.Int("num_classes", 1000, 0, 1_000_000),
            Id2Label = labels,
            Source = c.OptionalString("source"),
            ImageSize = c.Has("image_size") ? Numbers(c, "image_size").Select(v => (int)v).ToArray() : [224, 224],
            ResizeShorterSide = c.Has("resize_shorter_side") ? c.Int("resize_shorter_side", 0, 1, 65536) : null,
            Normalization = c.OptionalObject("normalization") is JsonSection n ? new Classifiers.NormalizationConfig(Numbers(n, "mean"), Numbers(n, "std")) : null,
            Quantization = Compression.QuantizationConfig.Read(c),
        };
        config.Validate(source);
        config.Quantization?.Validate(source);
        foreach (var key in labels.Keys)
            if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id >= Math.Max(config.NumClasses, 1))
                throw c.Error($"id2label.{key}", $"is not a class index below num_classes {config.NumClasses}");
        return config;
    }
}
