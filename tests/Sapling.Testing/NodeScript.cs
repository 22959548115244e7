using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace Sapling.Testing;

/// <summary>Runs a script of tests/serve-clients under node and reads the one JSON object it prints.</summary>
public static class NodeScript
{
    public static JsonElement Run(string script, params string[] args)
    {
        var folder = RepositoryPaths.ServeClientsFolder!;
        var start = new ProcessStartInfo(RepositoryPaths.Node!, [Path.Combine(folder, script), .. args])
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"node {script} did not finish in 2 minutes");
        }
        Assert.True(process.ExitCode == 0, $"node {script} failed:\n{stderr.Result}");
        return JsonDocument.Parse(stdout.Result).RootElement.Clone();
    }
}
