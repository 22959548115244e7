namespace Sapling.Export.Tests;

/// <summary>The theory form of <see cref="OnnxRuntimeFactAttribute"/>: skipped with the reason when ONNX Runtime is unavailable.</summary>
public sealed class OnnxRuntimeTheoryAttribute : TheoryAttribute
{
    public OnnxRuntimeTheoryAttribute()
    {
        if (OnnxRuntime.MissingReason() is { } reason) Skip = reason;
    }
}
