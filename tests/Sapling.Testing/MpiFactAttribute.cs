using System.Runtime.InteropServices;
using Xunit;

namespace Sapling.Testing;

/// <summary>
/// A test that starts ranks with Open MPI's mpirun: skipped, with the reason, when mpirun or libmpi.so.40 is missing.
/// .ci/run installs both (Debian openmpi-bin).
/// </summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        Skip = MissingReason();
    }

    public static string? MissingReason()
    {
        bool mpirun = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(folder => File.Exists(Path.Combine(folder, "mpirun")));
        if (!mpirun) return "MPI test skipped: mpirun is not on PATH (apt-get install openmpi-bin)";
        if (!NativeLibrary.TryLoad("libmpi.so.40", out var handle)) return "MPI test skipped: libmpi.so.40 cannot be loaded (apt-get install openmpi-bin)";
        NativeLibrary.Free(handle);
        return null;
    }
}
