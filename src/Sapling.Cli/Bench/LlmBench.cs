using System.Diagnostics;
using System.Numerics.Tensors;
using System.Text.Json;
using Sapling.Inference;
using Sapling.Models;

namespace Sapling.Cli.Bench;

/// <summary>
/// A language model folder at real size: load time and resident memory, prefill tokens/s for a long prompt, batch-1
/// decode tokens/s over many tokens and the resident memory they leave, against the machine's memory bandwidth
/// (weight bytes read per token ÷ read bandwidth is the ceiling of batch-1 decoding).
/// </summary>
public static class LlmBench
{
    /// <summary>
    /// Loads the language model with <paramref name="storage"/>, times prefill of <paramref name="promptTokens"/>
    /// synthetic tokens and greedy decoding of <paramref name="newTokens"/>, and prints them with the memory figures
    /// and the bandwidth ceiling, as text or JSON; returns the exit code.
    /// </summary>
    public static int Run(string directory, WeightStorage storage, int promptTokens, int newTokens, bool json)
    {
        long rssBefore = Resident("VmRSS");
        var clock = Stopwatch.StartNew();
        var model = ModelRegistry.LoadLanguageModel(directory, storage);
        double loadSeconds = clock.Elapsed.TotalSeconds;
        long rssLoaded = Resident("VmRSS");
        var (weightBytes, perToken, weightCount) = WeightBytes(model);
        var greedy = new SamplingOptions { Temperature = 0f, MaxNewTokens = 1, StopIds = new HashSet<int>() };
        var prompt = Enumerable.Range(0, promptTokens).Select(i => 100 + i * 37 % Math.Max(1, model.VocabSize - 200)).ToArray();
        // The first run touches every weight page; the second is timed.
        TextGenerator.Generate(model, prompt, greedy);
        clock.Restart();
        TextGenerator.Generate(model, prompt, greedy);
        double prefillSeconds = clock.Elapsed.TotalSeconds;
        long rssAfterPrefill = Resident("VmRSS");
        long pooledAfterPrefill = Sapling.Memory.TensorMemory.Pool<float>().PooledBytes, heapAfterPrefill = GC.GetGCMemoryInfo().HeapSizeBytes;
        var stamps = new List<double>(newTokens);
        clock.Restart();
        TextGenerator.Generate(model, [prompt[0]], greedy with { MaxNewTokens = newTokens }, _ => stamps.Add(clock.Elapsed.TotalMilliseconds));
        long rssAfterDecode = Resident("VmRSS"), peak = Resident("VmHWM");
        var intervals = stamps.Zip(stamps.Skip(1), (a, b) => b - a).Order().ToArray();
        double medianMs = intervals.Length == 0 ? double.NaN : intervals[intervals.Length / 2];
        double decodeTokensPerSecond = 1000 / medianMs;
        double overall = (stamps.Count - 1) * 1000 / (stamps[^1] - stamps[0]);
        // Measured last: its 1 GiB buffer must not sit in the resident figures above.
        double bandwidth = ReadBandwidth();
        double ceiling = bandwidth / perToken;
        var result = new
        {
            model = directory,
            storage = storage.ToString().ToLowerInvariant(),
            parameters = weightCount,
            weight_bytes = weightBytes,
            bytes_read_per_token = perToken,
            load_seconds = Math.Round(loadSeconds, 3),
            rss_before_mb = rssBefore >> 20,
            rss_after_load_mb = rssLoaded >> 20,
            rss_after_prefill_mb = rssAfterPrefill >> 20,
            pooled_after_prefill_mb = pooledAfterPrefill >> 20,
            gc_heap_after_prefill_mb = heapAfterPrefill >> 20,
            rss_after_decode_mb = rssAfterDecode >> 20,
            peak_rss_mb = peak >> 20,
            prompt_tokens = promptTokens,
            prefill_tokens_per_second = Math.Round(promptTokens / prefillSeconds, 1),
            new_tokens = stamps.Count,
            decode_tokens_per_second_median = Math.Round(decodeTokensPerSecond, 2),
            decode_tokens_per_second_overall = Math.Round(overall, 2),
            read_bandwidth_gb_s = Math.Round(bandwidth / 1e9, 2),
            bandwidth_ceiling_tokens_per_second = Math.Round(ceiling, 2),
            fraction_of_ceiling = Math.Round(decodeTokensPerSecond / ceiling, 3),
        };
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }
        Console.WriteLine($"{directory} ({model.ModelType}, {result.parameters:N0} parameters, {weightBytes / 1e6:F0} MB of weights, {storage})");
        Console.WriteLine($"load {loadSeconds:F2} s; resident {result.rss_after_load_mb} MB after load, {result.rss_after_prefill_mb} MB after prefill, {result.rss_after_decode_mb} MB after {stamps.Count} tokens (peak {result.peak_rss_mb} MB)");
        Console.WriteLine($"prefill {promptTokens} tokens: {result.prefill_tokens_per_second} tokens/s (after it: {result.pooled_after_prefill_mb} MB pooled tensor memory, {result.gc_heap_after_prefill_mb} MB GC heap)");
        Console.WriteLine($"decode: {decodeTokensPerSecond:F1} tokens/s median ({overall:F1} overall); ceiling {ceiling:F1} tokens/s = {bandwidth / 1e9:F1} GB/s read ÷ {perToken / 1e6:F0} MB per token; {result.fraction_of_ceiling:P0} of it");
        return 0;
    }

    /// <summary>
    /// All weight bytes, and those one decode step reads (everything but the embedding rows it does not look up), with
    /// the number of weights: parameters and stored buffers alike, so an int8 folder's I8 matrices and scales count.
    /// </summary>
    private static (long All, long PerToken, long Count) WeightBytes(ICausalLM model)
    {
        long all = 0, embedding = 0, count = 0;
        bool tiedHead = true;
        var seen = new HashSet<Sapling.Memory.Storage>(ReferenceEqualityComparer.Instance);
        // The registered tensors: an int8 layer's packed values count through their placeholder's dtype and shape.
        foreach (var (name, p) in model.Network.RegisteredTensors())
        {
            if (name.StartsWith("lm_head.", StringComparison.Ordinal)) tiedHead = false;
            if (!seen.Add(p.Storage)) continue;
            long bytes = p.DType.StorageBytes(p.NumEl);
            all += bytes;
            if (!name.EndsWith(Models.Compression.ModelQuantization.ScaleSuffix, StringComparison.Ordinal)) count += p.NumEl;
            if (name.Contains("embed_tokens.", StringComparison.Ordinal) || name.Contains("wte.", StringComparison.Ordinal) || name.Contains("wpe.", StringComparison.Ordinal)) embedding += bytes;
        }
        // A tied head reads the embedding matrix once per token after all.
        return (all, tiedHead ? all : all - embedding, count);
    }

    /// <summary>Bytes per second all threads read from a 1 GiB buffer (the median of seven sums: single rounds vary on a shared machine).</summary>
    private static double ReadBandwidth()
    {
        const int Length = 1 << 28;
        var buffer = GC.AllocateUninitializedArray<float>(Length);
        buffer.AsSpan().Fill(1f);
        int threads = Environment.ProcessorCount;
        var rates = new double[7];
        for (int round = 0; round < rates.Length; round++)
        {
            long start = Stopwatch.GetTimestamp();
            Parallel.For(0, threads, t =>
            {
                int chunk = Length / threads;
                TensorPrimitives.Sum(buffer.AsSpan(t * chunk, chunk));
            });
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            rates[round] = Length * 4.0 / seconds;
        }
        GC.KeepAlive(buffer);
        Array.Sort(rates);
        return rates[rates.Length / 2];
    }

    private static long Resident(string key)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(key + ":", StringComparison.Ordinal))
                return long.Parse(line[(key.Length + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        return 0;
    }
}
