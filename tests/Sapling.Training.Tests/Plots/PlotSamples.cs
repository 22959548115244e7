using Sapling.Training.Plots;

namespace Sapling.Training.Tests.Plots;

/// <summary>Writes example plots for a person to look at when SAPLING_PLOT_SAMPLES names a folder; otherwise does nothing.</summary>
public class PlotSamples
{
    [Fact]
    public void WriteSamples()
    {
        var folder = Environment.GetEnvironmentVariable("SAPLING_PLOT_SAMPLES");
        if (string.IsNullOrEmpty(folder)) return;
        LinePlotTests.TrainingCurves().Save(Path.Combine(folder, "curves.svg"));
        new ConfusionMatrixPlot(ConfusionMatrixPlotTests.Counts, ConfusionMatrixPlotTests.Names) { Title = "Validation confusion matrix" }
            .Save(Path.Combine(folder, "confusion.svg"));
        new ConfusionMatrixPlot(ConfusionMatrixPlotTests.Counts, ConfusionMatrixPlotTests.Names) { Title = "Row-normalised", Normalize = true }
            .Save(Path.Combine(folder, "confusion-normalized.svg"));
        string[] cifar = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];
        var rng = new Random(3);
        var counts = new long[10, 10];
        for (int i = 0; i < 10; i++)
            for (int j = 0; j < 10; j++) counts[i, j] = i == j ? rng.Next(600, 950) : rng.Next(0, 60);
        new ConfusionMatrixPlot(counts, cifar) { Title = "CIFAR-10 test" }.Save(Path.Combine(folder, "confusion-10.svg"));
        var single = new LinePlot { Title = "Edge cases", XLabel = "step" };
        single.AddPanel("value").Add("one point", [3.0], [0.25]).Add("constant", [1.0, 2, 3, 4], [0.5, 0.5, 0.5, 0.5])
            .Add("with NaN", [1.0, 2, 3, 4, 5], [0.1, double.NaN, 0.3, double.PositiveInfinity, 0.2]);
        single.AddPanel("log scale", logY: true).Add("decades", [1.0, 2, 3, 4, 5, 6], [1, 1e-2, 1e-4, 1e-6, 1e-7, 3e-8]);
        single.Save(Path.Combine(folder, "edge.svg"));
        File.WriteAllText(Path.Combine(folder, "confusion.txt"), ConfusionMatrixText.Render(counts, cifar));
    }
}
