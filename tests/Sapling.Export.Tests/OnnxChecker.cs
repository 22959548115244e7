using System.Diagnostics;
using Sapling.Testing;

namespace Sapling.Export.Tests;

/// <summary>Runs tests/onnx-runtime/check_model.py (onnx.checker with shape inference) under Debian's Python.</summary>
public static class OnnxChecker
{
    // Debian's python3-onnx is only visible to the system interpreter, not to a python3 earlier on PATH.
    private const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> Missing = new(() =>
    {
        if (RepositoryPaths.OnnxRuntimeFolder == null) return "ONNX checker skipped: the repository root (Sapling.slnx) was not found above the test binary";
        if (!File.Exists(Python)) return $"ONNX checker skipped: {Python} is absent";
        var (code, _) = Execute("-c", "import onnx");
        return code == 0 ? null : $"ONNX checker skipped: {Python} cannot import onnx (apt-get install python3-onnx)";
    });

    public static string? MissingReason() => Missing.Value;

    /// <summary>Checks the files; returns the exit code and everything the script printed.</summary>
    public static (int ExitCode, string Output) Check(IEnumerable<string> paths) =>
        Execute([Path.Combine(RepositoryPaths.OnnxRuntimeFolder!, "check_model.py"), .. paths]);

    private static (int, string) Execute(params string[] arguments)
    {
        var start = new ProcessStartInfo(Python, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Python}");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill();
            throw new TimeoutException($"{Python} did not finish in 2 minutes");
        }
        return (process.ExitCode, stdout + stderr.Result);
    }
}

/// <summary>A fact that needs the ONNX checker; skipped with the reason when Debian's python3-onnx is not installed.</summary>
public sealed class OnnxCheckerFactAttribute : FactAttribute
{
    public OnnxCheckerFactAttribute()
    {
        if (OnnxChecker.MissingReason() is { } reason) Skip = reason;
    }
}
