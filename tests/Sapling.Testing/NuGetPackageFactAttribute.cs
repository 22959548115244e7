using Xunit;

namespace Sapling.Testing;

/// <summary>
/// A test that reads a real artefact shipped inside a NuGet package (brought into the global packages folder by a test
/// project's PackageDownload at restore, never downloaded at run time): skipped, with the reason, when it is not there.
/// </summary>
public sealed class NuGetPackageFactAttribute : FactAttribute
{
    public NuGetPackageFactAttribute(string package, string version)
    {
        if (PackagePath(package, version) == null)
            Skip = $"skipped: NuGet package {package} {version} is not in the global packages folder ({PackagesFolder}); `dotnet restore` of the test project brings it";
    }

    /// <summary>NUGET_PACKAGES, or ~/.nuget/packages.</summary>
    public static string PackagesFolder => Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } folder
        ? folder
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>The package's folder, or null when it is not restored.</summary>
    public static string? PackagePath(string package, string version)
    {
        var path = Path.Combine(PackagesFolder, package.ToLowerInvariant(), version);
        return Directory.Exists(path) ? path : null;
    }
}
