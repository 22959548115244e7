using System.Diagnostics;
using Sapling.Distributed;

namespace Sapling.Cli.Commands;

/// <summary>
/// <c>sapling train CONFIG --nproc N</c>: starts this same program N times under Open MPI's <c>mpirun</c> and relays
/// what the ranks print; each rank then finds its group from mpirun's environment.
/// </summary>
public static class MpirunLauncher
{
    private const string YieldVariable = "OMPI_MCA_mpi_yield_when_idle";

    /// <summary>mpirun's own options for <paramref name="processes"/> ranks on a machine of <paramref name="cores"/> cores.</summary>
    public static List<string> MpirunOptions(int processes, int cores, bool runningAsRoot)
    {
        var options = new List<string>();
        // Open MPI refuses to run as root unless told; containers and CI often run as root.
        if (runningAsRoot) options.Add("--allow-run-as-root");
        // mpirun counts slots by cores and refuses more ranks than slots unless told.
        if (processes > cores) options.Add("--oversubscribe");
        // Open MPI pins each rank to one core by default; a rank runs several compute threads, and pinning them all
        // to one core would serialise them.
        options.AddRange(["--bind-to", "none", "-np", processes.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        return options;
    }

    /// <summary>Runs <c>mpirun ... sapling ARGS</c> and returns its exit code; throws with what to install when Open MPI is missing.</summary>
    public static int Run(int processes, IReadOnlyList<string> saplingArguments)
    {
        if (processes < 1) throw new ArgumentException($"--nproc must be ≥ 1, got {processes}");
        var mpirun = FindOnPath("mpirun") ?? throw new InvalidOperationException($"--nproc {processes} needs Open MPI's mpirun, which is not on PATH: install it with `apt-get install openmpi-bin`");
        if (!MpiProcessGroup.IsAvailable(out var reason)) throw new InvalidOperationException($"--nproc {processes}: {reason}");
        var start = new ProcessStartInfo(mpirun) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var option in MpirunOptions(processes, Environment.ProcessorCount, Environment.UserName == "root")) start.ArgumentList.Add(option);
        // With a rank per core, a rank that waits in MPI must give its core back: Open MPI's default busy polling would
        // take it from the rank still computing backward (measured here: 2 ranks on 2 cores ran 3-4x slower without it).
        if (processes >= Environment.ProcessorCount && Environment.GetEnvironmentVariable(YieldVariable) == null) start.Environment[YieldVariable] = "1";
        // Open MPI gives each rank a pseudo-terminal for its output, and .NET then switches that "terminal" into keypad
        // mode, an escape sequence that would land in the relayed text; the ranks' output is never interactive.
        start.Environment["TERM"] = "dumb";
        var self = Environment.ProcessPath ?? "dotnet";
        start.ArgumentList.Add(self);
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(MpirunLauncher).Assembly.Location);
        foreach (var argument in saplingArguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start mpirun");
        // Relayed line by line so that a caller that redirected Console (the tests) sees the ranks' output.
        var (stdout, stderr) = (Console.Out, Console.Error);
        process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (stdout) stdout.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (stdout) stderr.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.WaitForExit();
        if (process.ExitCode != 0) Console.Error.WriteLine($"error: mpirun -np {processes} exited with code {process.ExitCode}");
        return process.ExitCode;
    }

    private static string? FindOnPath(string name)
    {
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
