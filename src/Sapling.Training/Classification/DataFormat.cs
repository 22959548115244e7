using System.Text.Json.Serialization;

namespace Sapling.Training.Classification;

/// <summary>What a classification dataset's path holds (config <c>data.format</c>).</summary>
public enum DataFormat
{
    /// <summary>A CSV table, the label in its last (or named) column; without a path, the embedded digits.</summary>
    Csv,
    /// <summary>A folder of images, one sub-folder per class.</summary>
    [JsonStringEnumMemberName("image_folder")]
    ImageFolder,
}
