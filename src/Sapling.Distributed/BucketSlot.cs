namespace Sapling.Distributed;

/// <summary>Where one parameter's gradient lies in the flat buffer of its bucket.</summary>
public readonly record struct BucketSlot(int Parameter, int Bucket, int Offset, int Length);
