namespace Sapling.IO;

/// <summary>How wide each id of a token file is: nanoGPT's uint16, or uint32 for vocabularies past 65,536.</summary>
public enum TokenWidth
{
    UInt16 = 2,
    UInt32 = 4,
}
