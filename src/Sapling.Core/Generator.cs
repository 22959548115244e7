namespace Sapling;

/// <summary>
/// Seeded random numbers (xoshiro256** seeded through SplitMix64): integer arithmetic only, so one seed gives the same
/// stream on every machine. Normal samples use Box-Muller on pairs of uniforms.
/// </summary>
public sealed class Generator
{
    private ulong s0, s1, s2, s3;
    private double? spareNormal;

    /// <summary>Creates a generator whose stream is fixed by <paramref name="seed"/>.</summary>
    public Generator(ulong seed) => ManualSeed(seed);

    [ThreadStatic] private static Generator? threadDefault;

    /// <summary>The seed <see cref="Default"/> starts from on every thread.</summary>
    public const ulong DefaultSeed = 0x5EED;

    /// <summary>
    /// The generator used when an op is not given one; reseed it with <see cref="ManualSeed"/> for reproducible runs.
    /// One per thread, each starting from the same seed: two trainings on two threads cannot draw from each other's
    /// stream, so each stays reproducible.
    /// </summary>
    public static Generator Default => threadDefault ??= new Generator(DefaultSeed);

    /// <summary>
    /// The seed last given to the constructor or <see cref="ManualSeed"/> (restored by <see cref="SetState"/>).
    /// </summary>
    public ulong Seed { get; private set; }

    /// <summary>Restarts the stream from <paramref name="seed"/>, as a new generator with that seed would.</summary>
    public void ManualSeed(ulong seed)
    {
        Seed = seed;
        ulong x = seed;
        s0 = SplitMix(ref x);
        s1 = SplitMix(ref x);
        s2 = SplitMix(ref x);
        s3 = SplitMix(ref x);
        spareNormal = null;
    }

    /// <summary>The full state, so a checkpoint can restore the exact stream.</summary>
    public ulong[] GetState() => [s0, s1, s2, s3, spareNormal.HasValue ? 1UL : 0UL, BitConverter.DoubleToUInt64Bits(spareNormal ?? 0), Seed];

    /// <summary>
    /// Restores the exact stream saved by <see cref="GetState"/>; refuses an array that is not 7 words long.
    /// </summary>
    public void SetState(ulong[] state)
    {
        if (state.Length != 7) throw new ArgumentException($"generator state must have 7 words, got {state.Length}");
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3]);
        spareNormal = state[4] != 0 ? BitConverter.UInt64BitsToDouble(state[5]) : null;
        Seed = state[6];
    }

    /// <summary>The next 64 random bits (xoshiro256**).</summary>
    public ulong NextUInt64()
    {
        ulong result = RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = RotateLeft(s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 24 random bits, exactly representable as float32.</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [low, high) without modulo bias.</summary>
    public long NextInt64(long low, long high)
    {
        if (high <= low) throw new ArgumentException($"random integer range [{low}, {high}) is empty");
        ulong range = (ulong)(high - low);
        ulong limit = ulong.MaxValue - ulong.MaxValue % range;
        ulong r;
        do r = NextUInt64(); while (r >= limit);
        return low + (long)(r % range);
    }

    /// <summary>A standard normal sample (mean 0, variance 1); each Box-Muller pair serves two calls.</summary>
    public double NextNormal()
    {
        if (spareNormal is double spare)
        {
            spareNormal = null;
            return spare;
        }
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        double radius = Math.Sqrt(-2.0 * Math.Log(u1));
        double angle = 2.0 * Math.PI * u2;
        spareNormal = radius * Math.Sin(angle);
        return radius * Math.Cos(angle);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
