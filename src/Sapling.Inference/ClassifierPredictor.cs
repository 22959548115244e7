using Sapling.Autograd;
using Sapling.Data;
using Sapling.Models.Classifiers;
using Sapling.Data.Vision;
using Sapling.Data.Vision.Codecs;

namespace Sapling.Inference;

/// <summary>
/// Loads a classifier folder and turns raw inputs (feature rows or image files) into class probabilities with exactly
/// the preprocessing used in training (scale, reshape, normalisation), then softmax and top-k.
/// </summary>
public sealed class ClassifierPredictor
{
    private ClassifierPredictor(IClassifier classifier) => Classifier = classifier;

    /// <summary>The loaded classifier.</summary>
    public IClassifier Classifier { get; }
    /// <summary>The classifier's config: input shape, scale, normalisation and class names.</summary>
    public ClassifierConfig Config => Classifier.Config;

    /// <summary>Number of raw values one example has (e.g. 64 for 8×8 digits).</summary>
    public int InputSize => Config.InputShape.Aggregate(1, (a, b) => a * b);

    /// <summary>
    /// The pixel budget of each decoded image (width × height); a larger image is refused before it is decoded.
    /// A server lowers it: a small PNG can claim gigabytes of pixels.
    /// </summary>
    public long MaxImagePixels { get; set; } = ImageDecoder.MaxPixels;

    /// <summary>
    /// Loads the classifier folder (config.json and model.safetensors) at <paramref name="modelDirectory"/>.
    /// </summary>
    public static ClassifierPredictor Load(string modelDirectory) => new(ClassifierFolder.Load(modelDirectory));

    /// <summary>Raw feature rows [N, InputSize] (values on the training data's raw scale) → preprocessed model input.</summary>
    public Tensor Prepare(float[] rows, int count)
    {
        if (rows.Length != count * InputSize)
            throw new ArgumentException($"expected {count} rows of {InputSize} values, got {rows.Length} values");
        var x = Tensor.FromArray(rows, count, InputSize);
        if (Config.InputScale != 1f) x = x.Div(Config.InputScale);
        x = x.Reshape([count, .. Config.InputShape]);
        if (Config.Normalization is { } n) x = new Normalizer(n.Mean, n.Std).Apply(x);
        return x;
    }

    /// <summary>Images decoded, converted to the model's channel count and resized to its input size.</summary>
    public Tensor PrepareImages(IReadOnlyList<string> files) => PrepareImages(files.Select(f => (File.ReadAllBytes(f), f)).ToList());

    /// <summary>Images held in memory (an upload), each with the name its errors should use.</summary>
    public Tensor PrepareImages(IReadOnlyList<(byte[] Bytes, string Name)> images)
    {
        if (Config.InputShape.Length != 3) throw new InvalidOperationException($"this {Config.ModelType} takes feature rows of {InputSize} values, not images");
        int c = Config.InputShape[0], h = Config.InputShape[1], w = Config.InputShape[2];
        var data = new float[images.Count * c * h * w];
        for (int i = 0; i < images.Count; i++)
        {
            var image = ImageDecoder.Decode(images[i].Bytes, images[i].Name, c == 1 ? ColorMode.Gray : ColorMode.Rgb, MaxImagePixels);
            Resize.ToModelInputChw(image, h, w, Config.ResizeShorterSide ?? 0, data.AsSpan(i * c * h * w, c * h * w));
        }
        // Decoded images are in [0, 1], the range training reached after dividing raw values by input_scale.
        var x = Tensor.FromArray(data, images.Count, c, h, w);
        if (Config.Normalization is { } n) x = new Normalizer(n.Mean, n.Std).Apply(x);
        return x;
    }

    /// <summary>Softmax probabilities [N, classes] for a prepared batch.</summary>
    public Tensor Probabilities(Tensor inputs)
    {
        using var _ = NoGrad.Enter();
        Classifier.Module.Eval();
        return Classifier.Module.Forward(inputs).Softmax(-1);
    }

    /// <summary>The <paramref name="k"/> most likely classes of each input, most likely first.</summary>
    public List<ClassPrediction[]> TopK(Tensor inputs, int k)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), $"top-k must be at least 1, got {k}");
        var probs = Probabilities(inputs);
        int classes = probs.Shape[1];
        k = Math.Min(k, classes);
        var p = probs.ToArray();
        var result = new List<ClassPrediction[]>();
        for (int r = 0; r < probs.Shape[0]; r++)
        {
            var row = p.AsSpan(r * classes, classes).ToArray();
            var order = Enumerable.Range(0, classes).OrderByDescending(c => row[c]).ThenBy(c => c).Take(k);
            result.Add(order.Select(c => new ClassPrediction(c, Config.LabelOf(c), row[c])).ToArray());
        }
        return result;
    }
}
