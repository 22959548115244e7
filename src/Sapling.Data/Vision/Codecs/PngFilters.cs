namespace Sapling.Vision;

/// <summary>Undoes PNG's per-row filters (None, Sub, Up, Average, Paeth) in place.</summary>
internal static class PngFilters
{
    /// <summary>Reconstructs <paramref name="row"/> from its filtered bytes; <paramref name="previous"/> is the reconstructed row above (all zeros for a pass's first row).</summary>
    /// <returns>false when the filter type is not 0–4.</returns>
    public static bool Unfilter(int filter, Span<byte> row, ReadOnlySpan<byte> previous, int bytesPerPixel)
    {
        int n = row.Length;
        int bpp = bytesPerPixel;
        switch (filter)
        {
            case 0:
                return true;
            case 1:
                for (int i = bpp; i < n; i++) row[i] += row[i - bpp];
                return true;
            case 2:
                for (int i = 0; i < n; i++) row[i] += previous[i];
                return true;
            case 3:
                for (int i = 0; i < bpp && i < n; i++) row[i] += (byte)(previous[i] >> 1);
                for (int i = bpp; i < n; i++) row[i] += (byte)((row[i - bpp] + previous[i]) >> 1);
                return true;
            case 4:
                for (int i = 0; i < bpp && i < n; i++) row[i] += previous[i]; // a = c = 0, so Paeth picks b
                for (int i = bpp; i < n; i++) row[i] += Paeth(row[i - bpp], previous[i], previous[i - bpp]);
                return true;
            default:
                return false;
        }
    }

    private static byte Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc) return (byte)a;
        return pb <= pc ? (byte)b : (byte)c;
    }
}
