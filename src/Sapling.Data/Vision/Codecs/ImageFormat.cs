namespace Sapling.Data.Vision.Codecs;

/// <summary>The file formats <see cref="ImageDecoder"/> recognises by their first bytes.</summary>
public enum ImageFormat { Unknown, Png, Jpeg, Pnm, WebP, Gif, Bmp, Ico }
