namespace Sapling.Data.Vision.Codecs;

/// <summary>The file formats <see cref="ImageDecoder"/> recognises by their first bytes.</summary>
public enum ImageFormat
{
    /// <summary>None of the formats below: the first bytes match no known signature.</summary>
    Unknown,
    /// <summary>PNG.</summary>
    Png,
    /// <summary>JPEG (starting with the FF D8 FF marker).</summary>
    Jpeg,
    /// <summary>Netpbm PGM or PPM, ASCII (P2, P3) or binary (P5, P6).</summary>
    Pnm,
    /// <summary>WebP (a RIFF container marked WEBP).</summary>
    WebP,
    /// <summary>GIF (87a or 89a).</summary>
    Gif,
    /// <summary>Windows bitmap (BMP).</summary>
    Bmp,
    /// <summary>Windows icon (ICO).</summary>
    Ico,
}
