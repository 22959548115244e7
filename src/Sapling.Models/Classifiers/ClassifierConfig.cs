using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sapling.Models.Classifiers;

/// <summary>
/// Everything needed to rebuild a classifier and preprocess its input, saved as the model folder's config.json in
/// Hugging Face's style (model_type, id2label/label2id, snake_case keys).
/// </summary>
public sealed record ClassifierConfig
{
    /// <summary>"mlp", "cnn", "resnet" (Sapling's small ResNet) or "torchvision_resnet" (torchvision's layout and names).</summary>
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "mlp";

    /// <summary>Shape of one input example: [features] for an MLP, [channels, height, width] for image models.</summary>
    [JsonPropertyName("input_shape")] public int[] InputShape { get; init; } = [64];

    /// <summary>num_classes: outputs of the head, at least 2; default 10.</summary>
    [JsonPropertyName("num_classes")] public int NumClasses { get; init; } = 10;

    /// <summary>MLP hidden widths.</summary>
    [JsonPropertyName("hidden_sizes")] public int[] HiddenSizes { get; init; } = [128];

    /// <summary>Convolution widths, one per block (CNN) or per stage (ResNet).</summary>
    [JsonPropertyName("channels")] public int[] Channels { get; init; } = [32, 64];

    /// <summary>CNN: width of the fully connected layer before the head.</summary>
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 128;

    /// <summary>ResNet: residual blocks per stage.</summary>
    [JsonPropertyName("blocks_per_stage")] public int BlocksPerStage { get; init; } = 2;

    /// <summary>
    /// kernel_size: CNN convolution size, a positive odd number (same padding); default 3. Sapling's ResNet always uses
    /// 3×3 convolutions.
    /// </summary>
    [JsonPropertyName("kernel_size")] public int KernelSize { get; init; } = 3;

    /// <summary>torchvision_resnet: "basic" or "bottleneck" blocks (null: basic). Written only where set.</summary>
    [JsonPropertyName("block")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Block { get; init; }

    /// <summary>torchvision_resnet: blocks in each of the four stages (null: [2, 2, 2, 2], ResNet-18). Written only where set.</summary>
    [JsonPropertyName("layers")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int[]? Layers { get; init; }

    /// <summary>batch_norm: CNN: a BatchNorm after each convolution (which then has no bias); default false.</summary>
    [JsonPropertyName("batch_norm")] public bool BatchNorm { get; init; }

    /// <summary>
    /// dropout: MLP: after each hidden layer; CNN: after the fully connected layer; in [0, 1), default 0 (none).
    /// </summary>
    [JsonPropertyName("dropout")] public float Dropout { get; init; }

    /// <summary>id2label: class names by id (the id as a decimal string); empty when the classes are unnamed.</summary>
    [JsonPropertyName("id2label")] public Dictionary<string, string> Id2Label { get; init; } = new();

    /// <summary>label2id: the inverse of id2label, computed from it and written for transformers' readers.</summary>
    [JsonPropertyName("label2id")] public Dictionary<string, int> Label2Id => Id2Label.ToDictionary(p => p.Value, p => int.Parse(p.Key, System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Per-feature (MLP) or per-channel (images) mean and standard deviation applied before the model.</summary>
    [JsonPropertyName("normalization")] public NormalizationConfig? Normalization { get; init; }

    /// <summary>Images: absent, each image is stretched to the input size; set, it is scaled to this shorter side keeping its
    /// aspect ratio and the centre is kept (torchvision's Resize + CenterCrop).</summary>
    [JsonPropertyName("resize_shorter_side")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? ResizeShorterSide { get; init; }

    /// <summary>The scale raw inputs are divided by before normalisation (e.g. 16 for the 0..16 digit pixels, 1 for images read as [0, 1]).</summary>
    [JsonPropertyName("input_scale")] public float InputScale { get; init; } = 1f;

    /// <summary>Present when the folder's weights are int8 (see <see cref="Compression.QuantizationConfig"/>).</summary>
    [JsonPropertyName("quantization")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public Compression.QuantizationConfig? Quantization { get; init; }

    /// <summary>
    /// architectures: a class name derived from model_type (SaplingMlp, SaplingCnn, ...), written for readers.
    /// </summary>
    [JsonPropertyName("architectures")] public string[] Architectures => [ModelType switch { "mlp" => "SaplingMlp", "cnn" => "SaplingCnn", "resnet" => "SaplingResNet", "torchvision_resnet" => "TorchvisionResNetForImageClassification", _ => ModelType }];

    /// <summary>sapling_version: the config format's version.</summary>
    [JsonPropertyName("sapling_version")] public string SaplingVersion { get; init; } = "0.1";

    /// <summary>
    /// The name of class <paramref name="id"/>, or the id itself as text when id2label does not name it.
    /// </summary>
    public string LabelOf(int id) => Id2Label.TryGetValue(id.ToString(System.Globalization.CultureInfo.InvariantCulture), out var name) ? name : id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>config.json in the keys above, indented.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads and validates config.json text; <paramref name="source"/> names it in errors.</summary>
    public static ClassifierConfig FromJson(string json, string source)
    {
        try
        {
            var config = JsonSerializer.Deserialize<ClassifierConfig>(json, Json) ?? throw new InvalidDataException($"{source}: empty configuration");
            config.Validate(source);
            return config;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not a valid classifier config.json ({e.Message})", e);
        }
    }

    /// <summary>
    /// Refuses a config no classifier can be built from: an unknown model_type, fewer than 2 classes, a bad
    /// input_shape, dropout outside [0, 1), a non-positive input_scale, a resize smaller than the image, or bad sizes
    /// for the keys this model_type reads (the others are not checked). <paramref name="source"/> names the config in
    /// the error.
    /// </summary>
    public void Validate(string source)
    {
        if (ModelType is not ("mlp" or "cnn" or "resnet" or "torchvision_resnet")) throw new InvalidDataException($"{source}: model_type '{ModelType}' is not one of mlp, cnn, resnet, torchvision_resnet");
        if (NumClasses < 2) throw new InvalidDataException($"{source}: num_classes must be at least 2, got {NumClasses}");
        if (InputShape.Length == 0 || InputShape.Any(d => d <= 0)) throw new InvalidDataException($"{source}: input_shape [{string.Join(", ", InputShape)}] must have positive sizes");
        if (ModelType != "mlp" && InputShape.Length != 3) throw new InvalidDataException($"{source}: a {ModelType} needs input_shape [channels, height, width], got [{string.Join(", ", InputShape)}]");
        if (!(Dropout >= 0 && Dropout < 1)) throw new InvalidDataException($"{source}: dropout must be in [0, 1), got {Dropout}");
        foreach (var key in Id2Label.Keys)
            if (!int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id) || id >= NumClasses
                || key != id.ToString(System.Globalization.CultureInfo.InvariantCulture))
                throw new InvalidDataException($"{source}: id2label key '{key}' is not a class id from 0 to {NumClasses - 1}");
        if (!(InputScale > 0) || !float.IsFinite(InputScale)) throw new InvalidDataException($"{source}: input_scale must be a positive number, got {InputScale}");
        if (ResizeShorterSide is { } r && (InputShape.Length != 3 || r < Math.Min(InputShape[1], InputShape[2]) || r > 65536))
            throw new InvalidDataException($"{source}: resize_shorter_side {r} needs an image input_shape and must be at least the image's height and width ([{string.Join(", ", InputShape)}])");
        // Only the keys of this model_type are checked: the others are not used by it.
        switch (ModelType)
        {
            case "mlp":
                if (HiddenSizes.Any(h => h <= 0)) throw new InvalidDataException($"{source}: hidden_sizes [{string.Join(", ", HiddenSizes)}] must all be positive");
                break;
            case "cnn" or "resnet":
                if (Channels.Length == 0 || Channels.Any(c => c <= 0)) throw new InvalidDataException($"{source}: channels [{string.Join(", ", Channels)}] must list at least one positive width");
                if (ModelType == "cnn" && HiddenSize <= 0) throw new InvalidDataException($"{source}: hidden_size must be positive, got {HiddenSize}");
                if (ModelType == "resnet" && BlocksPerStage <= 0) throw new InvalidDataException($"{source}: blocks_per_stage must be positive, got {BlocksPerStage}");
                if (KernelSize <= 0 || KernelSize % 2 == 0) throw new InvalidDataException($"{source}: kernel_size must be a positive odd number, got {KernelSize}");
                break;
            case "torchvision_resnet":
                if (Block is not (null or "basic" or "bottleneck")) throw new InvalidDataException($"{source}: block '{Block}' is not basic or bottleneck");
                if (Layers is { } layers && (layers.Length != 4 || layers.Any(l => l < 1))) throw new InvalidDataException($"{source}: layers [{string.Join(", ", layers)}] must give a positive block count for each of 4 stages");
                if (InputShape[1] < 32 || InputShape[2] < 32) throw new InvalidDataException($"{source}: a torchvision ResNet needs images of at least 32 × 32, got input_shape [{string.Join(", ", InputShape)}]");
                break;
        }
        Quantization?.Validate(source);
    }
}
