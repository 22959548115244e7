// Usage: dotnet run -c Release -- FILE_LIST ROUNDS
// Decodes every photograph named in FILE_LIST (one path per line) to RGB, then decodes and prepares each for an
// ImageNet model (shorter side 256, centre 224 × 224, CHW floats), ROUNDS times; prints milliseconds per pass.
using System.Diagnostics;
using Sapling.Data.Vision;
using Sapling.Data.Vision.Codecs;

var files = File.ReadAllLines(args[0]);
int rounds = args.Length > 1 ? int.Parse(args[1]) : 3;
var bytes = files.Select(File.ReadAllBytes).ToArray();
var chw = new float[3 * 224 * 224];
for (int round = 0; round < rounds; round++)
{
    long before = GC.GetTotalAllocatedBytes(true);
    var watch = Stopwatch.StartNew();
    for (int i = 0; i < bytes.Length; i++) ImageDecoder.Decode(bytes[i], files[i], ColorMode.Rgb);
    double decode = watch.Elapsed.TotalMilliseconds;
    long allocated = GC.GetTotalAllocatedBytes(true) - before;
    watch.Restart();
    for (int i = 0; i < bytes.Length; i++) Resize.ShorterSideCenterCropChw(ImageDecoder.Decode(bytes[i], files[i], ColorMode.Rgb), 256, 224, 224, chw);
    double prepare = watch.Elapsed.TotalMilliseconds;
    Console.WriteLine($"sapling decode {decode:F0} ms prepare {prepare:F0} ms ({files.Length} files, {allocated / 1e6:F0} MB allocated decoding)");
}
