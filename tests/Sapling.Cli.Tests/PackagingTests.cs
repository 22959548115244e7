using System.Diagnostics;
using Sapling.Testing;

namespace Sapling.Cli.Tests;

/// <summary>
/// The packages as a .NET developer gets them: tests/packaging/check.sh packs every library and the tool into a folder
/// feed, runs the TrainDigits sample against the packages (it must print a test accuracy), builds the ChatApi sample
/// against them, installs the tool into a temporary tool path and runs <c>sapling demo</c> from an empty folder.
/// </summary>
public class PackagingTests
{
    [PackagingFact]
    public void PackagesToolAndSamplesWorkFromALocalFeed()
    {
        var work = Directory.CreateTempSubdirectory("sapling-packaging-");
        try
        {
            var start = new ProcessStartInfo("bash", [Path.Combine(RepositoryPaths.Root!, "tests", "packaging", "check.sh"), work.FullName])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryPaths.Root!,
            };
            // The test host's MSBuild variables would point the nested dotnet commands at this build's SDK state.
            foreach (var key in start.Environment.Keys.ToList())
                if (key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
                    start.Environment.Remove(key);
            using var process = Process.Start(start)!;
            var errors = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail("tests/packaging/check.sh did not finish in 10 minutes:\n" + output);
            }
            string all = output + errors.Result;
            Assert.True(process.ExitCode == 0, "tests/packaging/check.sh failed:\n" + all);
            Assert.Contains("test accuracy", all);
            Assert.Contains("was successfully installed", all);
            Assert.Contains("packaging check passed", all);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}

/// <summary>Skipped, with the reason, where the repository (its Sapling.slnx and tests/packaging) or bash is missing.</summary>
internal sealed class PackagingFactAttribute : FactAttribute
{
    public PackagingFactAttribute()
    {
        if (RepositoryPaths.Root == null) Skip = "packaging check skipped: the repository root (Sapling.slnx) was not found above the test binary";
        else if (RepositoryPaths.OnPath("bash") == null) Skip = "packaging check skipped: bash is not on PATH";
    }
}
