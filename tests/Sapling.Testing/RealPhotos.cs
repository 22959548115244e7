using Xunit;

namespace Sapling.Testing;

/// <summary>
/// Real photographs on this machine, from Debian packages that tests/real-photos/fetch.sh (run by .ci/run) brings:
/// the MATE desktop's nature photographs and scikit-image's sample photographs (people, animals, objects, microscopy,
/// astronomy, textures; grey and colour, PNG and baseline/progressive JPEG).
/// </summary>
public static class RealPhotos
{
    private static readonly string[] Mate =
    [
        "nature/Aqua.jpg", "nature/Blinds.jpg", "nature/Dune.jpg", "nature/FreshFlower.jpg", "nature/Garden.jpg", "nature/GreenMeadow.jpg",
        "nature/LadyBird.jpg", "nature/RainDrops.jpg", "nature/Storm.jpg", "nature/TwoWings.jpg", "nature/Wood.jpg", "nature/YellowFlower.jpg",
        "abstract/Elephants.jpg", "desktop/GreenTraditional.jpg",
    ];

    private static readonly string[] ScikitImage =
    [
        "astronaut.png", "brick.png", "camera.png", "cell.png", "chelsea.png", "coffee.png", "coins.png", "grass.png", "gravel.png",
        "ihc.png", "moon.png", "motorcycle_left.png", "motorcycle_right.png", "page.png", "text.png", "clock_motion.png",
        "microaneurysms.png", "hubble_deep_field.jpg", "retina.jpg", "rocket.jpg",
    ];

    /// <summary>The photographs present, in a fixed order.</summary>
    public static IReadOnlyList<string> Paths()
    {
        var found = new List<string>();
        foreach (var name in Mate)
        {
            var path = Path.Combine("/usr/share/backgrounds/mate", name);
            if (File.Exists(path)) found.Add(path);
        }
        if (RepositoryPaths.Root != null)
            foreach (var name in ScikitImage)
            {
                var path = Path.Combine(RepositoryPaths.Root, "tests", "real-photos", "extracted", "usr", "lib", "python3", "dist-packages", "skimage", "data", name);
                if (File.Exists(path)) found.Add(path);
            }
        return found;
    }
}

/// <summary>A test that needs at least <c>minimum</c> real photographs (see <see cref="RealPhotos"/>); skipped, with the fix, when fewer are there.</summary>
public sealed class RealPhotosFactAttribute : FactAttribute
{
    public RealPhotosFactAttribute(int minimum)
    {
        int count = RealPhotos.Paths().Count;
        if (count < minimum)
            Skip = $"skipped: {count} of the {minimum} real photographs needed are on this machine; run tests/real-photos/fetch.sh (as root: it installs mate-backgrounds and unpacks python3-skimage's sample data)";
    }
}
