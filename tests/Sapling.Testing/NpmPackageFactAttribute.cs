using Xunit;

namespace Sapling.Testing;

/// <summary>
/// A test that reads files of an npm package installed under tests/<paramref name="folder"/>/node_modules (real
/// artefacts are never downloaded at run time): skipped, with the reason, when the package (or node, when asked) is
/// missing. .ci/run installs them.
/// </summary>
public sealed class NpmPackageFactAttribute : FactAttribute
{
    public NpmPackageFactAttribute(string folder, string package, bool needsNode = false)
    {
        if (PackagePath(folder, package) == null)
            Skip = $"skipped: npm package {package} is not installed; run `npm install` in tests/{folder} (.ci/run does)";
        else if (needsNode && RepositoryPaths.Node == null)
            Skip = "skipped: node is not on PATH (apt-get install nodejs npm)";
    }

    /// <summary>The package's folder, or null when it is not installed.</summary>
    public static string? PackagePath(string folder, string package)
    {
        if (RepositoryPaths.Root == null) return null;
        var path = Path.Combine(RepositoryPaths.Root, "tests", folder, "node_modules", package);
        return File.Exists(Path.Combine(path, "package.json")) ? path : null;
    }
}
