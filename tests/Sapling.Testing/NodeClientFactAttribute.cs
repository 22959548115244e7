using Xunit;

namespace Sapling.Testing;

/// <summary>
/// A test that runs a script of tests/serve-clients under node: skipped, with the reason, when node, the npm package
/// it needs or (for browser tests) /usr/bin/chromium is missing. .ci/run installs all three.
/// </summary>
public sealed class NodeClientFactAttribute : FactAttribute
{
    public NodeClientFactAttribute(string package, bool needsChromium = false)
    {
        Skip = MissingReason(package, needsChromium);
    }

    public static string? MissingReason(string package, bool needsChromium)
    {
        var folder = RepositoryPaths.ServeClientsFolder;
        if (folder == null) return "client test skipped: the repository root (Sapling.slnx) was not found above the test binary";
        if (RepositoryPaths.Node == null) return "client test skipped: node is not on PATH (apt-get install nodejs npm)";
        if (!File.Exists(Path.Combine(folder, "node_modules", package, "package.json")))
            return $"client test skipped: {package} is not installed; run `npm install` in tests/serve-clients";
        if (needsChromium && !File.Exists(Chromium)) return $"browser test skipped: {Chromium} is missing (apt-get install chromium)";
        return null;
    }

    public static string Chromium => Environment.GetEnvironmentVariable("CHROMIUM") ?? "/usr/bin/chromium";
}
