using System.Diagnostics;
using Xunit.Abstractions;
using Sapling.Data.Vision.Codecs;

namespace Sapling.Data.Tests.Vision;

/// <summary>Truncated and bit-flipped files either decode or throw <see cref="ImageFormatException"/>, quickly: never another
/// exception type and never a hang.</summary>
public class DecodeFuzzTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CaseLimit = TimeSpan.FromSeconds(2);

    public static TheoryData<string> Files =>
    [
        "png_rgb8_i.png", "png_palette2_trns.png", "png_gray16.png", "png_gray_alpha8_i.png", "png_pil_rgb.png",
        "pnm_p6_65535.ppm", "pnm_p3_1000.ppm", "pnm_p5_255.pgm",
        "jpeg_420_restart.jpg", "jpeg_progressive_420.jpg", "jpeg_422_q50.jpg", "jpeg_gray_q90.jpg", "jpeg_411.jpg",
        "jpeg_cmyk.jpg", "jpeg_exif_orientation6.jpg", "webp_lossy.webp", "webp_lossless_alpha.webp", "gif_palette.gif",
        "bmp_palette8.bmp", "bmp_rgb24.bmp",
    ];

    [Theory]
    [MemberData(nameof(Files))]
    public void TruncatedFilesFailCleanly(string file)
    {
        var bytes = ImageFixtures.Bytes(file);
        int step = Math.Max(1, bytes.Length / 300);
        var cases = new List<byte[]>();
        for (int n = 0; n < bytes.Length; n += step) cases.Add(bytes[..n]);
        var (decoded, rejected) = Run(file, cases);
        // A few trailing bytes of PNM sample text or past JPEG's EOI may go unnoticed; everything else must be rejected.
        Assert.True(rejected >= cases.Count - 3, $"{file}: only {rejected} of {cases.Count} truncations were rejected");
        output.WriteLine($"{file}: {cases.Count} truncations, {decoded} decoded, {rejected} rejected");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void FlippedBytesDecodeOrFailCleanly(string file)
    {
        var bytes = ImageFixtures.Bytes(file);
        // string.GetHashCode is randomised per process; a fixed seed keeps failures reproducible.
        int seed = 0x5A91;
        foreach (char ch in file) seed = seed * 31 + ch;
        var random = new Random(seed);
        var cases = new List<byte[]>();
        for (int i = 0; i < 300; i++)
        {
            var mutated = (byte[])bytes.Clone();
            int flips = 1 + random.Next(4);
            for (int f = 0; f < flips; f++) mutated[random.Next(mutated.Length)] ^= (byte)(1 << random.Next(8));
            // Most PNG mutations die at the CRC check; repairing the CRCs sends half of them deeper, into zlib and the filters.
            if (file.EndsWith(".png") && i % 2 == 0) Png.FixCrcs(mutated);
            cases.Add(mutated);
        }
        var (decoded, rejected) = Run(file, cases);
        output.WriteLine($"{file}: {cases.Count} mutations, {decoded} decoded, {rejected} rejected");
    }

    private static (int Decoded, int Rejected) Run(string file, List<byte[]> cases)
    {
        int decoded = 0, rejected = 0;
        var work = Task.Run(() =>
        {
            for (int i = 0; i < cases.Count; i++)
            {
                var watch = Stopwatch.StartNew();
                try
                {
                    ImageDecoder.Decode(cases[i], file);
                    decoded++;
                }
                catch (ImageFormatException e)
                {
                    Assert.Contains(file, e.Message);
                    rejected++;
                }
                catch (Exception e)
                {
                    Assert.Fail($"{file} case {i} ({cases[i].Length} bytes) threw {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
                }
                Assert.True(watch.Elapsed < CaseLimit, $"{file} case {i} took {watch.Elapsed.TotalSeconds:F1} s");
            }
        });
        Assert.True(work.Wait(TimeSpan.FromSeconds(60)), $"{file}: fuzz cases did not finish within 60 s (a hang?)");
        return (decoded, rejected);
    }
}
