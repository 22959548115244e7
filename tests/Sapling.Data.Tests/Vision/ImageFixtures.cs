using System.Text.Json;
using Sapling.Testing;

namespace Sapling.Data.Tests.Vision;

/// <summary>One case of tests/fixtures/images/manifest.json: an image file and the pixels PIL decoded from it.</summary>
public sealed record ImageCase(string File, string Expected, int Width, int Height, string Mode)
{
    public override string ToString() => $"{File} as {Mode}";
}

/// <summary>Reads the image fixtures that tests/fixtures/images/make_image_fixtures.py wrote with PIL.</summary>
public static class ImageFixtures
{
    public static string Directory { get; } = Path.Combine(Fixtures.Directory, "images");

    public static IReadOnlyList<ImageCase> Cases { get; } = Load();

    public static string PathOf(string file) => Path.Combine(Directory, file);

    public static byte[] Bytes(string file) => File.ReadAllBytes(PathOf(file));

    public static TheoryData<ImageCase> Where(Func<ImageCase, bool> predicate)
    {
        var data = new TheoryData<ImageCase>();
        foreach (var c in Cases) if (predicate(c)) data.Add(c);
        return data;
    }

    private static List<ImageCase> Load()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "manifest.json")));
        var cases = new List<ImageCase>();
        foreach (var e in doc.RootElement.EnumerateArray())
            cases.Add(new ImageCase(e.GetProperty("file").GetString()!, e.GetProperty("expected").GetString()!,
                e.GetProperty("width").GetInt32(), e.GetProperty("height").GetInt32(), e.GetProperty("mode").GetString()!));
        return cases;
    }
}
