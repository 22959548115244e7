namespace Sapling.Backends.Cpu;

/// <summary>A unit of parallel work; <see cref="Run"/> is called once for every part index.</summary>
public interface IParallelWork
{
    /// <summary>
    /// Does part <paramref name="part"/> of the work; parts may run at the same time on different threads.
    /// </summary>
    void Run(int part);
}
