using System.Diagnostics;
using System.Text.Json.Nodes;
using Sapling.Backends.Cpu;

namespace Sapling.Cli.Bench;

/// <summary>
/// SGEMM throughput of each provider. Each provider is measured in its own child process, because OpenBLAS's idle
/// worker threads keep spinning after a call and would steal a core from the managed kernel in the same process.
/// </summary>
public static class GemmBench
{
    /// <summary>The (M, K, N) shapes timed: squares, and transformer-like activation × weight products.</summary>
    public static readonly (int M, int K, int N)[] Shapes =
    [
        (256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048), (2048, 256, 768), (2048, 1024, 256),
    ];

    /// <summary>
    /// Prints GFLOP/s per shape, as a table or JSON. With <paramref name="provider"/> only that provider is timed, in
    /// this process; without it, each provider runs in a child process. <paramref name="ghz"/> is the clock behind the
    /// "% peak" column. Returns the exit code: 1 when a child process failed.
    /// </summary>
    public static int Run(bool json, string? provider, int repeats, int threads, double ghz)
    {
        var rows = provider != null ? Measure(Gemm.Parse(provider), repeats, threads, ghz) : MeasureEachInChildProcess(repeats, threads, ghz);
        if (rows == null) return 1;
        if (json)
        {
            Console.WriteLine(rows.ToJsonString());
            return 0;
        }
        Console.WriteLine($"SGEMM, {threads} threads, theoretical fp32 peak {Peak(threads, ghz):F0} GFLOP/s at {ghz} GHz");
        Console.WriteLine($"{"M",6} {"K",6} {"N",6}  {"provider",-9} {"GFLOP/s",8} {"MatMul",8}  {"% peak",6}");
        foreach (var r in rows)
        {
            var o = r!.AsObject();
            string matmul = o.TryGetPropertyValue("matmul_gflops", out var mm) ? $"{(double)mm!,8:F1}" : "       -";
            Console.WriteLine($"{(int)o["m"]!,6} {(int)o["k"]!,6} {(int)o["n"]!,6}  {(string)o["provider"]!,-9} {(double)o["gflops"]!,8:F1} {matmul}  {100 * (double)o["gflops"]! / Peak(threads, ghz),5:F0}%");
        }
        return 0;
    }

    private static double Peak(int threads, double ghz) => MachinePeak.Gflops(threads, ghz);

    private static JsonArray? MeasureEachInChildProcess(int repeats, int threads, double ghz)
    {
        var all = new JsonArray();
        var providers = new List<string> { "managed" };
        if (OpenBlasNative.IsAvailable) providers.Add("openblas");
        foreach (var p in providers)
        {
            var output = RunSelf(["bench", "gemm", "--json", "--provider", p, "--repeats", repeats.ToString(), "--threads", threads.ToString(), "--ghz", ghz.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            if (output == null) return null;
            foreach (var node in JsonNode.Parse(output)!.AsArray()) all.Add(node!.DeepClone());
        }
        return all;
    }

    /// <summary>Runs this same program with other arguments and returns its standard output, or null after reporting a failure.</summary>
    internal static string? RunSelf(string[] args)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, UseShellExecute = false };
        string self = Environment.ProcessPath!;
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            start.ArgumentList.Add(typeof(GemmBench).Assembly.Location);
        start.FileName = self;
        foreach (var a in args) start.ArgumentList.Add(a);
        using var child = Process.Start(start)!;
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0)
        {
            Console.Error.WriteLine($"error: 'sapling {string.Join(' ', args)}' exited with {child.ExitCode}");
            return null;
        }
        return output;
    }

    private static unsafe JsonArray Measure(BlasProvider provider, int repeats, int threads, double ghz)
    {
        ComputeThreads.Set(threads);
        Gemm.Provider = provider;
        var rows = new JsonArray();
        var rng = new Generator(1);
        foreach (var (m, k, n) in Shapes)
        {
            var a = Tensor.Randn([m, k], rng);
            var b = Tensor.Randn([k, n], rng);
            var c = new float[m * n];
            double flops = 2.0 * m * n * k;
            int inner = Math.Max(1, (int)(4e9 / flops));
            var pa = a.AsSpan();
            var pb = b.AsSpan();
            double ms;
            fixed (float* ap = pa, bp = pb, cp = c)
            {
                float* a0 = ap, b0 = bp, c0 = cp;
                ms = Timing.MedianMilliseconds(() =>
                {
                    for (int i = 0; i < inner; i++)
                    {
                        if (provider == BlasProvider.OpenBlas) OpenBlasNative.Sgemm(false, false, m, n, k, 1f, a0, k, b0, n, 0f, c0, n);
                        else ManagedGemm.Sgemm(false, false, m, n, k, 1f, a0, k, b0, n, 0f, c0, n);
                    }
                }, repeats) / inner;
            }
            double matmulMs = Timing.MedianMilliseconds(() =>
            {
                for (int i = 0; i < inner; i++)
                {
                    using var scope = new TensorScope();
                    a.MatMul(b);
                }
            }, repeats) / inner;
            rows.Add(new JsonObject
            {
                ["m"] = m, ["k"] = k, ["n"] = n,
                ["provider"] = provider == BlasProvider.OpenBlas ? "openblas" : "managed",
                ["threads"] = threads,
                ["gflops"] = Math.Round(flops / ms / 1e6, 1),
                ["matmul_gflops"] = Math.Round(flops / matmulMs / 1e6, 1),
                ["peak_gflops"] = Math.Round(Peak(threads, ghz), 1),
            });
        }
        return rows;
    }
}
