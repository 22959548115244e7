namespace Sapling.Testing;

/// <summary>Folders of the repository the tests run from, found by walking up from the test binary.</summary>
public static class RepositoryPaths
{
    public static string? Root { get; } = FindRoot();

    /// <summary>tests/onnx-runtime: package.json, runner.js and (once installed) node_modules/onnxruntime-node.</summary>
    public static string? OnnxRuntimeFolder => Root == null ? null : Path.Combine(Root, "tests", "onnx-runtime");

    /// <summary>tests/serve-clients: the OpenAI client and headless-browser scripts run against <c>sapling serve</c>.</summary>
    public static string? ServeClientsFolder => Root == null ? null : Path.Combine(Root, "tests", "serve-clients");

    /// <summary>The <c>node</c> executable on PATH, or null.</summary>
    public static string? Node { get; } = OnPath("node");

    public static string? OnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static string? FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Sapling.slnx"))) return dir.FullName;
        return null;
    }
}
