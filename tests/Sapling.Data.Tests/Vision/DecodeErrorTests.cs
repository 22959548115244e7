using System.Buffers.Binary;
using Sapling.Data.Vision.Codecs;

namespace Sapling.Data.Tests.Vision;

/// <summary>Malformed input fails with an <see cref="ImageFormatException"/> naming the file and what is wrong.</summary>
public class DecodeErrorTests
{
    private static ImageFormatException Fails(byte[] bytes, string name = "broken.img") =>
        Assert.Throws<ImageFormatException>(() => ImageDecoder.Decode(bytes, name));

    [Fact]
    public void PngBadCrcNamesFileAndChunk()
    {
        var bytes = ImageFixtures.Bytes("png_rgb8.png");
        int idat = bytes.AsSpan().IndexOf("IDAT"u8);
        bytes[idat + 10] ^= 0x40;
        var ex = Fails(bytes, "cat_001.png");
        Assert.Contains("cat_001.png", ex.Message);
        Assert.Contains("corrupt", ex.Message);
    }

    [Fact]
    public void TruncatedPngSaysSo()
    {
        var bytes = ImageFixtures.Bytes("png_rgba16_i.png");
        var ex = Fails(bytes[..(bytes.Length - 30)], "cut.png");
        Assert.Contains("cut.png", ex.Message);
        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public void PngWithoutIendIsTruncated()
    {
        var bytes = ImageFixtures.Bytes("png_gray8.png");
        var ex = Fails(bytes[..^12]);
        Assert.Contains("truncated", ex.Message);
        Assert.Contains("IEND", ex.Message);
    }

    [Fact]
    public void PngBadFilterTypeNamesTheRow()
    {
        // A 1×2 grey image whose second row claims filter type 7, with correct CRCs so the filter check is what fails.
        var raw = new byte[] { 0, 10, 7, 20 };
        var png = Png.Build(1, 2, 8, 0, raw);
        var ex = Fails(png);
        Assert.Contains("broken.img: PNG: the image data is corrupt", ex.Message);
    }

    [Fact]
    public void TruncatedJpegSaysSo()
    {
        var bytes = ImageFixtures.Bytes("jpeg_420_q95_64x48.jpg");
        var ex = Fails(bytes[..(bytes.Length / 2)], "half.jpg");
        Assert.Contains("half.jpg", ex.Message);
        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public void JpegCutInsideAProgressiveScanIsTruncated()
    {
        // Skia would show the scans that arrived; a training set must not silently hold a blurred half image.
        var bytes = ImageFixtures.Bytes("jpeg_progressive_420.jpg");
        var ex = Fails(bytes[..(bytes.Length * 3 / 4)], "slow.jpg");
        Assert.Contains("slow.jpg: JPEG: the file is truncated", ex.Message);
    }

    [Fact]
    public void UnknownAndUnsupportedFormatsAreNamed()
    {
        Assert.Contains("file is empty", Fails([]).Message);
        Assert.Contains("anim.gif: GIF: the file is truncated", Fails("GIF89a\x01\x00"u8.ToArray(), "anim.gif").Message);
        Assert.Contains("TIFF images are not supported", Fails("II*\0\x08\0\0\0"u8.ToArray(), "scan.tif").Message);
        var ex = Fails([1, 2, 3, 4], "mystery.bin");
        Assert.Contains("mystery.bin", ex.Message);
        Assert.Contains("01020304", ex.Message);
    }

    [Fact]
    public void PnmErrorsNameTheProblem()
    {
        Assert.Contains("maxval 0", Fails("P5 2 2 0\n\0\0\0\0"u8.ToArray()).Message);
        Assert.Contains("exceeds maxval 10", Fails("P2 2 1 10\n3 11\n"u8.ToArray()).Message);
        Assert.Contains("truncated", Fails("P6 2 2 255\n\0\0\0"u8.ToArray()).Message);
        Assert.Contains("width", Fails("P5 # only a comment"u8.ToArray()).Message);
    }

    [Fact]
    public void FormatIsChosenByContentNotExtension()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sapling-{Guid.NewGuid():N}.jpg");
        File.Copy(ImageFixtures.PathOf("png_rgb8.png"), path);
        try
        {
            Assert.Equal(ImageFormat.Png, ImageDecoder.DetectFormat(File.ReadAllBytes(path)));
            Assert.Equal(3, ImageDecoder.Decode(path).Channels);
        }
        finally { File.Delete(path); }
    }

    /// <summary>A header claiming 60,000 × 60,000 pixels (3.6 G) is refused from the header alone, in every format.</summary>
    [Theory]
    [InlineData("jpeg_444_q95.jpg")]
    [InlineData("gif_palette.gif")]
    [InlineData("bmp_rgb24.bmp")]
    public void DecompressionBombIsRefusedFromTheHeader(string file)
    {
        var bytes = ImageFixtures.Bytes(file);
        switch (ImageDecoder.DetectFormat(bytes))
        {
            case ImageFormat.Jpeg:
                int sof = bytes.AsSpan().IndexOf(new byte[] { 0xFF, 0xC0 });
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(sof + 5), 60_000);
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(sof + 7), 60_000);
                break;
            case ImageFormat.Gif:
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(6), 60_000);
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), 60_000);
                break;
            default:
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), 60_000);
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), 60_000);
                break;
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Fails(bytes, "bomb" + Path.GetExtension(file));
        Assert.Contains("bomb", ex.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 10_000_000, "the pixels were allocated before the size was checked");
    }

    [Fact]
    public void OversizedHeaderIsRefusedBeforeAllocating()
    {
        var png = Png.Build(1, 1, 8, 0, [0, 0]);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), 100_000);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), 100_000);
        Png.FixCrcs(png);
        Assert.Contains("exceeds the limit", Fails(png).Message);
    }
}
