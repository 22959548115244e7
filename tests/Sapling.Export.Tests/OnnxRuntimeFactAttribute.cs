namespace Sapling.Export.Tests;

/// <summary>
/// A fact that needs ONNX Runtime through Node.js: it is reported as skipped, with the reason and the command that
/// fixes it, when node is not on PATH or tests/onnx-runtime has no installed onnxruntime-node.
/// </summary>
public sealed class OnnxRuntimeFactAttribute : FactAttribute
{
    public OnnxRuntimeFactAttribute()
    {
        if (OnnxRuntime.MissingReason() is { } reason) Skip = reason;
    }
}
