namespace Sapling.Export.Tests;

/// <summary>Folders of the repository the tests run from, found by walking up from the test binary.</summary>
public static class RepositoryPaths
{
    public static string? Root { get; } = FindRoot();

    /// <summary>tests/onnx-runtime: package.json, runner.js and (once installed) node_modules/onnxruntime-node.</summary>
    public static string? OnnxRuntimeFolder => Root == null ? null : Path.Combine(Root, "tests", "onnx-runtime");

    private static string? FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Sapling.slnx"))) return dir.FullName;
        return null;
    }
}
