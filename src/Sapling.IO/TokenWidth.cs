namespace Sapling.IO;

/// <summary>How wide each id of a token file is: nanoGPT's uint16, or uint32 for vocabularies past 65,536.</summary>
public enum TokenWidth
{
    /// <summary>Two bytes per id: vocabularies up to 65,536.</summary>
    UInt16 = 2,
    /// <summary>Four bytes per id.</summary>
    UInt32 = 4,
}
