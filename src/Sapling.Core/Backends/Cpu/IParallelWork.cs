namespace Sapling.Backends.Cpu;

/// <summary>A unit of parallel work; <see cref="Run"/> is called once for every part index.</summary>
public interface IParallelWork
{
    void Run(int part);
}
