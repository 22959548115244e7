namespace Sapling.Training.Review;

/// <summary>
/// One sampled example on a review sheet: what the model saw, what it answered and how sure it was, and what the
/// automatic metric says about it. Exactly one of <see cref="Text"/>, <see cref="Pixels"/> or
/// <see cref="ImageDataUrl"/> carries the input.
/// </summary>
public sealed record ReviewItem
{
    /// <summary>Where the item comes from in the data (e.g. "line 12", "row 3" or an image's relative path).</summary>
    public required string Id { get; init; }
    /// <summary>The group the item was sampled from (e.g. its class), so results can be broken down by it.</summary>
    public required string Stratum { get; init; }

    /// <summary>The input text (a classifier's text or a language model's prompt), when the input is text.</summary>
    public string? Text { get; init; }

    /// <summary>A small grayscale image as rows of values in [0, 1] (e.g. an 8×8 digit from a CSV row).</summary>
    public float[][]? Pixels { get; init; }

    /// <summary>An image file, embedded so the sheet stays one self-contained file.</summary>
    public string? ImageDataUrl { get; init; }

    /// <summary>What the model answered: the predicted label or the generated text.</summary>
    public required string Output { get; init; }
    /// <summary>The model's probability for its answer (a classifier's top class), when it has one.</summary>
    public double? Confidence { get; init; }

    /// <summary>The true label (classifiers) or the reference answer (language models), when known.</summary>
    public string? Reference { get; init; }

    /// <summary>The automatic verdict: prediction equals the label, or the answer matches the reference exactly.</summary>
    public bool? AutoCorrect { get; init; }

    /// <summary>A graded automatic score where one exists (chrF of an answer against its reference, 0–100).</summary>
    public double? AutoScore { get; init; }
}
