namespace Sapling.Distributed;

/// <summary>Chooses the process group for this process from how it was launched.</summary>
public static class ProcessGroups
{
    /// <summary>Set by Open MPI's mpirun in every process it starts.</summary>
    public const string WorldSizeVariable = "OMPI_COMM_WORLD_SIZE";
    /// <summary>Set by mpirun to the number of ranks on this machine; sizes each rank's thread share.</summary>
    public const string LocalSizeVariable = "OMPI_COMM_WORLD_LOCAL_SIZE";

    /// <summary>Whether the environment says this process was started by mpirun.</summary>
    public static bool LaunchedByMpirun(IReadOnlyDictionary<string, string?> environment)
        => environment.TryGetValue(WorldSizeVariable, out var size) && int.TryParse(size, out int n) && n >= 1;

    /// <summary>
    /// An MPI group when mpirun started this process, otherwise the single-process group (training then behaves
    /// exactly as without a group). A process that mpirun started but that cannot load libmpi is an error, not a
    /// silent single-process run: N copies of one training would each write the same run folder.
    /// </summary>
    public static IProcessGroup FromEnvironment(IReadOnlyDictionary<string, string?> environment)
    {
        if (!LaunchedByMpirun(environment)) return SingleProcessGroup.Instance;
        int localSize = environment.TryGetValue(LocalSizeVariable, out var local) && int.TryParse(local, out int l) ? l : 1;
        return MpiProcessGroup.Create(localSize);
    }

    /// <summary>The process's own environment, for <see cref="FromEnvironment"/>.</summary>
    public static IReadOnlyDictionary<string, string?> CurrentEnvironment()
        => Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string?)e.Value);

    /// <summary>Compute threads for one rank: the machine's cores shared among the ranks on it.</summary>
    public static int ThreadsPerRank(int cores, int localRanks) => Math.Max(1, cores / Math.Max(1, localRanks));
}
