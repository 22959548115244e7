namespace Sapling.Data.Vision.Codecs;

/// <summary>The channels a decoded image is given.</summary>
public enum ColorMode
{
    /// <summary>As stored, without alpha: grey files give 1 channel, colour and palette files 3.</summary>
    Auto,
    /// <summary>1 channel; colour becomes grey with PIL's weights (0.299, 0.587, 0.114 in 16-bit fixed point).</summary>
    Gray,
    /// <summary>3 channels; grey is replicated, alpha dropped.</summary>
    Rgb,
    /// <summary>4 channels; alpha from the file (alpha channel or PNG tRNS), else 255.</summary>
    Rgba,
}
