using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Sapling.Quantization.Ggml;

namespace Sapling.LlamaCpp;

/// <summary>
/// ggml's own quantisers and dequantisers, called straight from <c>libggml-base.so</c> as shipped by
/// LLamaSharp.Backend.Cpu (ggml 0.18.0, llama.cpp commit 815a2a591 for LLamaSharp 0.30.0): the oracle that
/// <see cref="GgmlBlocks"/> is checked against bit for bit. Only plain C entry points are used, so no model, context
/// or backend is ever created.
/// </summary>
public static unsafe class GgmlNative
{
    private const string PackageId = "llamasharp.backend.cpu";
    private const string PackageVersion = "0.30.0";

    private static readonly object Gate = new();
    private static bool? _loaded;
    private static string _whyNot = "";
    private static string _path = "";

    // size_t ggml_quantize_chunk(enum ggml_type, const float * src, void * dst, int64_t start, int64_t nrows, int64_t n_per_row, const float * imatrix)
    private static delegate* unmanaged<int, float*, void*, long, long, long, float*, nuint> _quantizeChunk;
    // void ggml_quantize_init(enum ggml_type)
    private static delegate* unmanaged<int, void> _quantizeInit;
    // const struct ggml_type_traits * ggml_get_type_traits(enum ggml_type)
    private static delegate* unmanaged<int, TypeTraits*> _getTypeTraits;
    // Q8_K is not handled by ggml_quantize_chunk (it is an activation format) and has no traits entries in ggml-base:
    // its reference quantiser and dequantiser are called by name.
    private static delegate* unmanaged<float*, void*, long, void> _quantizeRowQ8K;
    private static delegate* unmanaged<void*, float*, long, void> _dequantizeRowQ8K;

    /// <summary>
    /// ggml's <c>struct ggml_type_traits</c> in ggml.h, unchanged since July 2024 (checked against ggml 0.18.0 and
    /// 0.21.0): name, block size, interleave, type size, is_quantized, to_float, from_float_ref. TryLoad checks the
    /// layout against the known geometry of Q4_K before anything is trusted.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct TypeTraits
    {
        public byte* TypeName;
        public long BlockSize;
        public long BlockSizeInterleave;
        public nuint TypeSize;
        public byte IsQuantized;   // C bool
        public delegate* unmanaged<void*, float*, long, void> ToFloat;
        public void* FromFloatRef;
    }

    /// <summary>The path of the loaded library (empty until <see cref="TryLoad"/> succeeds).</summary>
    public static string LibraryPath => _path;

    /// <summary>
    /// Finds and loads <c>libggml-base.so</c>: first under <c>runtimes/linux-x64/native/&lt;variant&gt;/</c> next to
    /// the running assembly (where builds copy the package's runtimes), else in the NuGet global packages folder
    /// (NUGET_PACKAGES or ~/.nuget/packages). The variant follows the CPU (avx512, avx2, avx, noavx). Cached: the
    /// answer of the first call is the answer of every call.
    /// </summary>
    public static bool TryLoad(out string whyNot)
    {
        lock (Gate)
        {
            _loaded ??= Load(out _whyNot);
            whyNot = _whyNot;
            return _loaded.Value;
        }
    }

    private static bool Load(out string whyNot)
    {
        string file, rid;
        if (OperatingSystem.IsLinux()) (file, rid) = ("libggml-base.so", RuntimeInformation.ProcessArchitecture == Architecture.X64 ? "linux-x64" : "linux-arm64");
        else if (OperatingSystem.IsWindows()) (file, rid) = ("ggml-base.dll", "win-x64");
        else if (OperatingSystem.IsMacOS()) (file, rid) = ("libggml-base.dylib", RuntimeInformation.ProcessArchitecture == Architecture.X64 ? "osx-x64" : "osx-arm64");
        else
        {
            whyNot = $"ggml oracle skipped: no LLamaSharp.Backend.Cpu build for {RuntimeInformation.OSDescription}";
            return false;
        }

        var candidates = new List<string>();
        foreach (var root in AssemblyFolders())
            foreach (var variant in Variants())
                candidates.Add(Path.Combine(root, "runtimes", rid, "native", variant, file));
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } folder
            ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var variant in Variants())
            candidates.Add(Path.Combine(packages, PackageId, PackageVersion, "LLamaSharpRuntimes", rid, "native", variant, file));
        candidates.Add(   // macOS builds have no variant folder
            Path.Combine(packages, PackageId, PackageVersion, "LLamaSharpRuntimes", rid, "native", file));

        string? path = candidates.FirstOrDefault(File.Exists);
        if (path == null)
        {
            whyNot = $"ggml oracle skipped: {file} not found (LLamaSharp.Backend.Cpu {PackageVersion}; looked in {string.Join(", ", candidates.Select(Path.GetDirectoryName).Distinct())})";
            return false;
        }
        try
        {
            IntPtr lib = NativeLibrary.Load(path);
            _quantizeChunk = (delegate* unmanaged<int, float*, void*, long, long, long, float*, nuint>)NativeLibrary.GetExport(lib, "ggml_quantize_chunk");
            _quantizeInit = (delegate* unmanaged<int, void>)NativeLibrary.GetExport(lib, "ggml_quantize_init");
            _getTypeTraits = (delegate* unmanaged<int, TypeTraits*>)NativeLibrary.GetExport(lib, "ggml_get_type_traits");
            _quantizeRowQ8K = (delegate* unmanaged<float*, void*, long, void>)NativeLibrary.GetExport(lib, "quantize_row_q8_K_ref");
            _dequantizeRowQ8K = (delegate* unmanaged<void*, float*, long, void>)NativeLibrary.GetExport(lib, "dequantize_row_q8_K");
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException or EntryPointNotFoundException)
        {
            whyNot = $"ggml oracle skipped: {path} did not load: {e.Message}";
            return false;
        }

        // Guard against a ggml whose ggml_type_traits layout differs from the one declared above.
        var traits = _getTypeTraits((int)GgmlType.Q4_K);
        string name = Marshal.PtrToStringUTF8((IntPtr)traits->TypeName) ?? "";
        if (name != "q4_K" || traits->BlockSize != 256 || traits->TypeSize != 144 || traits->IsQuantized != 1 || traits->ToFloat == null)
        {
            whyNot = $"ggml oracle skipped: {path} has an unexpected ggml_type_traits layout (q4_K reads as name '{name}', block {traits->BlockSize}, size {traits->TypeSize})";
            return false;
        }
        _path = path;
        whyNot = "";
        return true;
    }

    private static IEnumerable<string> AssemblyFolders()
    {
        var folders = new List<string> { AppContext.BaseDirectory };
        if (Path.GetDirectoryName(typeof(GgmlNative).Assembly.Location) is { Length: > 0 } own) folders.Add(own);
        if (Assembly.GetEntryAssembly()?.Location is { Length: > 0 } entry && Path.GetDirectoryName(entry) is { Length: > 0 } entryFolder) folders.Add(entryFolder);
        return folders.Distinct();
    }

    /// <summary>The CPU builds to try, best first.</summary>
    private static IEnumerable<string> Variants()
    {
        if (Avx512F.IsSupported) yield return "avx512";
        if (Avx2.IsSupported) yield return "avx2";
        if (Avx.IsSupported) yield return "avx";
        yield return "noavx";
    }

    private static void RequireLoaded()
    {
        if (!TryLoad(out var whyNot)) throw new InvalidOperationException(whyNot);
    }

    /// <summary>
    /// <paramref name="rows"/> rows of <paramref name="perRow"/> values quantised by ggml (<c>ggml_quantize_chunk</c>
    /// with no importance matrix, i.e. the reference quantisers; Q8_K through <c>quantize_row_q8_K_ref</c>).
    /// </summary>
    public static byte[] Quantize(GgmlType type, float[] src, int rows, int perRow)
    {
        RequireLoaded();
        if ((long)rows * perRow != src.Length) throw new ArgumentException($"ggml quantize {type.Name()}: {rows} rows of {perRow} are not the {src.Length} values given");
        long rowBytes = type.ByteCount(perRow);
        var dst = new byte[rowBytes * rows];
        fixed (float* s = src)
        fixed (byte* d = dst)
        {
            if (type == GgmlType.Q8_K)
            {
                _quantizeRowQ8K(s, d, src.Length);
            }
            else
            {
                _quantizeInit((int)type);
                nuint written = _quantizeChunk((int)type, s, d, 0, rows, perRow, null);
                if ((long)written != dst.Length) throw new InvalidOperationException($"ggml_quantize_chunk({type.Name()}) wrote {written} bytes, expected {dst.Length}");
            }
        }
        return dst;
    }

    /// <summary><paramref name="count"/> values decoded by ggml (the type traits' <c>to_float</c>; F32 is copied, Q8_K through <c>dequantize_row_q8_K</c>).</summary>
    public static float[] Dequantize(GgmlType type, byte[] src, long count)
    {
        RequireLoaded();
        long bytes = type.ByteCount(count);
        if (src.Length != bytes) throw new ArgumentException($"ggml dequantize {type.Name()}: {count} values take {bytes} bytes, got {src.Length}");
        var dst = new float[count];
        if (type == GgmlType.F32)
        {
            Buffer.BlockCopy(src, 0, dst, 0, src.Length);
            return dst;
        }
        fixed (byte* s = src)
        fixed (float* d = dst)
        {
            if (type == GgmlType.Q8_K)
            {
                _dequantizeRowQ8K(s, d, count);
            }
            else
            {
                var toFloat = _getTypeTraits((int)type)->ToFloat;
                if (toFloat == null) throw new NotSupportedException($"ggml has no to_float for {type.Name()}");
                toFloat(s, d, count);
            }
        }
        return dst;
    }
}
