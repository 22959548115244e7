namespace Sapling.Backends.Cpu;

/// <summary>Which matrix-multiply implementation runs: the managed kernel, OpenBLAS, or OpenBLAS when it is installed.</summary>
public enum BlasProvider
{
    Auto,
    Managed,
    OpenBlas,
}
