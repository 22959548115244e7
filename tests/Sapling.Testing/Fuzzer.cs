using System.Diagnostics;
using Xunit;

namespace Sapling.Testing;

/// <summary>What one fuzzing run did: inputs tried, how many were accepted and refused, and the failures found.</summary>
public sealed record FuzzReport(string Target, int Inputs, int Accepted, int Refused, IReadOnlyList<string> Failures)
{
    public override string ToString() => $"{Target}: {Inputs} inputs, {Accepted} accepted, {Refused} refused with a named error, {Failures.Count} failures";
}

/// <summary>
/// Seeded, time-boxed mutation fuzzing of a reader. Each input is a mutation of a valid seed (bit flips, interesting
/// bytes, large integers written over fields, truncation, deleted, repeated or spliced chunks). The reader must either
/// succeed or throw one of the errors it is allowed to throw, with a message that names the input; anything else (a
/// raw .NET exception, a hang, or more memory than the bound) is a failure, reported with the input that caused it.
/// Runs for <see cref="DefaultSeconds"/> seconds a target in the test suite; SAPLING_FUZZ_SECONDS sets longer runs.
/// </summary>
public sealed class Fuzzer
{
    public const double DefaultSeconds = 2;

    /// <summary>The seconds each target runs: SAPLING_FUZZ_SECONDS when set, else <see cref="DefaultSeconds"/>.</summary>
    public static double Seconds =>
        double.TryParse(Environment.GetEnvironmentVariable("SAPLING_FUZZ_SECONDS"), System.Globalization.CultureInfo.InvariantCulture, out double s) && s > 0 ? s : DefaultSeconds;

    private static readonly byte[] Interesting = [0x00, 0x01, 0x7F, 0x80, 0xFF, (byte)'"', (byte)'{', (byte)'[', (byte)'\\', (byte)',', (byte)'-', (byte)'9', (byte)'\n'];

    private readonly Random random;

    public Fuzzer(int seed) => random = new Random(seed);

    /// <summary>Largest allocation one input may cause on the reading thread.</summary>
    public long MaxAllocatedBytes { get; init; } = 256L << 20;

    /// <summary>Longest one input may take before it counts as a hang.</summary>
    public TimeSpan MaxInputTime { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Runs <paramref name="read"/> on mutations of <paramref name="seeds"/> for <paramref name="seconds"/> seconds
    /// (<see cref="Seconds"/> when not given). <paramref name="isNamedError"/> says whether an exception is an
    /// allowed, well-formed refusal; the seeds themselves run first and must be accepted.
    /// </summary>
    public FuzzReport Run(string target, IReadOnlyList<byte[]> seeds, Action<byte[]> read, Func<Exception, bool> isNamedError, double? seconds = null)
    {
        if (seeds.Count == 0) throw new ArgumentException("fuzzing needs at least one seed");
        var failures = new List<string>();
        int inputs = 0, accepted = 0, refused = 0;
        var clock = Stopwatch.StartNew();
        var budget = TimeSpan.FromSeconds(seconds ?? Seconds);
        for (int i = 0; failures.Count < 5 && (i < seeds.Count || clock.Elapsed < budget); i++)
        {
            var input = i < seeds.Count ? seeds[i] : Mutate(seeds[random.Next(seeds.Count)], seeds);
            inputs++;
            var outcome = Try(read, input);
            if (outcome.Error == null && outcome.Failure == null)
            {
                accepted++;
                continue;
            }
            if (outcome.Failure == null && i >= seeds.Count && isNamedError(outcome.Error!))
            {
                refused++;
                continue;
            }
            string what = outcome.Failure ?? (i < seeds.Count ? $"seed {i} was refused: {outcome.Error}" : $"{outcome.Error!.GetType().Name}: {outcome.Error}");
            failures.Add($"input {inputs} ({input.Length} bytes, starts {Preview(input)}): {what}");
        }
        return new FuzzReport(target, inputs, accepted, refused, failures);
    }

    /// <summary>Asserts a report found nothing, listing what it found otherwise.</summary>
    public static void AssertClean(FuzzReport report)
    {
        if (report.Failures.Count > 0) Assert.Fail(report + ":\n" + string.Join("\n", report.Failures));
        Assert.True(report.Inputs > 0);
    }

    private (Exception? Error, string? Failure) Try(Action<byte[]> read, byte[] input)
    {
        Exception? error = null;
        long allocated = 0;
        var worker = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                read(input);
            }
            catch (Exception e)
            {
                error = e;
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }, 16 << 20) { IsBackground = true };
        worker.Start();
        if (!worker.Join(MaxInputTime)) return (null, $"no answer after {MaxInputTime.TotalSeconds:F0} s (a hang)");
        if (allocated > MaxAllocatedBytes) return (null, $"allocated {allocated >> 20} MB, more than the bound of {MaxAllocatedBytes >> 20} MB");
        return (error, null);
    }

    private byte[] Mutate(byte[] seed, IReadOnlyList<byte[]> seeds)
    {
        var data = new List<byte>(seed);
        int edits = 1 + random.Next(4);
        for (int e = 0; e < edits; e++)
        {
            if (data.Count == 0) data.Add((byte)random.Next(256));
            int at = random.Next(data.Count);
            switch (random.Next(9))
            {
                case 0:
                    data[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    data[at] = Interesting[random.Next(Interesting.Length)];
                    break;
                case 2:
                    data[at] = (byte)random.Next(256);
                    break;
                case 3:
                    // A large or negative integer over a length, size or offset field (either byte order).
                    var value = BitConverter.GetBytes(random.Next(4) switch { 0 => uint.MaxValue, 1 => 0x7FFFFFFFu, 2 => 0x80000000u, _ => (uint)random.Next() });
                    if (random.Next(2) == 0) Array.Reverse(value);
                    for (int k = 0; k < 4 && at + k < data.Count; k++) data[at + k] = value[k];
                    break;
                case 4:
                    data.RemoveRange(at, data.Count - at);
                    break;
                case 5:
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + random.Next(16)));
                    break;
                case 6:
                    int length = Math.Min(data.Count - at, 1 + random.Next(32));
                    data.InsertRange(random.Next(data.Count + 1), data.GetRange(at, length));
                    break;
                case 7:
                    var other = seeds[random.Next(seeds.Count)];
                    if (other.Length > 0)
                    {
                        int from = random.Next(other.Length);
                        data.InsertRange(at, other.AsSpan(from, Math.Min(other.Length - from, 1 + random.Next(64))).ToArray());
                    }
                    break;
                default:
                    // Decimal digits where a number may stand, so text formats see huge and odd numbers too.
                    var digits = System.Text.Encoding.ASCII.GetBytes(random.Next(3) switch { 0 => "99999999999", 1 => "-1", _ => "1e308" });
                    data.InsertRange(at, digits);
                    break;
            }
        }
        return data.ToArray();
    }

    private static string Preview(byte[] input)
    {
        var head = input.AsSpan(0, Math.Min(24, input.Length));
        return Convert.ToHexString(head) + (input.Length > 24 ? "…" : "");
    }
}
