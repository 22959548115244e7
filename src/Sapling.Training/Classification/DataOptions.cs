using Sapling.Data.Vision;

namespace Sapling.Training.Classification;

/// <summary>Where the examples come from and how they are split and shaped.</summary>
public sealed record DataOptions
{
    /// <summary>"csv" (a table; the embedded digits by default) or "image_folder".</summary>
    public DataFormat Format { get; init; } = DataFormat.Csv;

    /// <summary>The CSV file or image root; null means the embedded digits.</summary>
    public string? Path { get; init; }

    /// <summary>
    /// Config key <c>data.label_column</c>: index of the CSV column holding the label; negative counts from the end
    /// (default -1, the last).
    /// </summary>
    public int LabelColumn { get; init; } = -1;

    /// <summary>Fraction of all examples held out for the final test (stratified, fixed seed).</summary>
    public double TestFraction { get; init; } = 0.2;

    /// <summary>Fraction of the remaining examples used for validation.</summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>
    /// Config key <c>data.split_seed</c>: seed of the test/validation split and per-class sampling (default 0).
    /// </summary>
    public ulong SplitSeed { get; init; }

    /// <summary>Raw values are divided by this before normalisation (16 for the digits' 0..16 pixels).</summary>
    public float InputScale { get; init; } = 1f;

    /// <summary>Reshape each row to this example shape (e.g. [1, 8, 8] to give a CNN the digits as images).</summary>
    public int[]? ExampleShape { get; init; }

    /// <summary>Image folders: size every image is resized to, and 1 (gray) or 3 (RGB) channels.</summary>
    public int ImageHeight { get; init; } = 32;
    /// <summary>Config key <c>data.image_width</c>: width in pixels every image is resized to (default 32).</summary>
    public int ImageWidth { get; init; } = 32;
    /// <summary>Config key <c>data.image_channels</c>: 1 (gray) or 3 (RGB, the default).</summary>
    public int ImageChannels { get; init; } = 3;

    /// <summary>Image folders: 0 stretches every image to the image size; a positive value scales it, keeping its aspect
    /// ratio, until its shorter side is this long and keeps the centre (ImageNet evaluation: 256 then a 224 crop).</summary>
    public int ResizeShorterSide { get; init; }

    /// <summary>Keep only these classes (by id), renumbered 0..k-1 in the given order (e.g. digits 5-9 for transfer).</summary>
    public int[]? Classes { get; init; }

    /// <summary>Use only this fraction of the training split (stratified), to study small-data regimes.</summary>
    public double TrainSubset { get; init; } = 1.0;

    /// <summary>Keep only this many training examples of each class (few-label experiments), chosen with the split seed; null keeps all.</summary>
    public int? TrainPerClass { get; init; }

    /// <summary>
    /// Config key <c>data.normalize</c>: standardise inputs with statistics fitted on the training split (default
    /// true).
    /// </summary>
    public bool Normalize { get; init; } = true;

    /// <summary>
    /// Config key <c>data.on_unreadable_image</c>: "skip" (default) leaves an image that cannot be decoded out and
    /// lists it; "fail" stops with an error.
    /// </summary>
    public UnreadableImages OnUnreadableImage { get; init; } = UnreadableImages.Skip;
}
