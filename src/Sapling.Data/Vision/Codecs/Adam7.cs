namespace Sapling.Vision;

/// <summary>The seven passes of PNG's Adam7 interlacing: where each pass starts and how far apart its pixels lie.</summary>
internal static class Adam7
{
    public static ReadOnlySpan<int> StartX => [0, 4, 0, 2, 0, 1, 0];
    public static ReadOnlySpan<int> StartY => [0, 0, 4, 0, 2, 0, 1];
    public static ReadOnlySpan<int> StepX => [8, 8, 4, 4, 2, 2, 1];
    public static ReadOnlySpan<int> StepY => [8, 8, 8, 4, 4, 2, 2];

    /// <summary>Width and height of pass <paramref name="pass"/>'s sub-image; either is 0 for passes that hold no pixels.</summary>
    public static (int Width, int Height) PassSize(int pass, int width, int height)
    {
        int w = width > StartX[pass] ? (width - StartX[pass] + StepX[pass] - 1) / StepX[pass] : 0;
        int h = height > StartY[pass] ? (height - StartY[pass] + StepY[pass] - 1) / StepY[pass] : 0;
        return (w, h);
    }
}
