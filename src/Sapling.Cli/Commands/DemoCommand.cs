using System.CommandLine;
using System.Diagnostics;
using System.IO.Compression;
using Sapling.Autograd;

namespace Sapling.Cli.Commands;

/// <summary>
/// <c>sapling demo</c>: trains a two-layer network on the embedded 8×8 digits through the real engine (tensors,
/// autograd, fused cross-entropy, GEMM) and prints the loss falling and the held-out accuracy.
/// </summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training set", DefaultValueFactory = _ => 30 };
        var data = new Option<string?>("--data") { Description = "digits CSV(.gz): 64 pixel values then the label per row (default: the embedded data/digits.csv.gz)" };
        var cmd = new Command("demo", "Train a two-layer network on the embedded digits and report test accuracy") { epochs, data };
        cmd.SetAction(r => Run(r.GetValue(epochs), r.GetValue(data)));
        return cmd;
    }

    private static int Run(int epochs, string? dataPath)
    {
        string path = dataPath ?? Path.Combine(AppContext.BaseDirectory, "data", "digits.csv.gz");
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"error: data file '{path}' not found (the repository ships data/digits.csv.gz)");
            return 2;
        }
        var (features, labels) = ReadDigits(path);
        int n = labels.Length;
        var order = Tensor.RandPerm(n, new Generator(0)).ToArray<long>();
        int trainCount = n * 4 / 5;
        var xTrain = Rows(features, order[..trainCount], 64);
        var yTrain = Tensor.FromArray(order[..trainCount].Select(i => labels[i]).ToArray());
        var xTest = Rows(features, order[trainCount..], 64);
        var yTest = Tensor.FromArray(order[trainCount..].Select(i => labels[i]).ToArray());

        var g = new Generator(1);
        var w1 = (Tensor.Randn([64, 128], g) * MathF.Sqrt(2f / 64)).RequiresGrad_();
        var b1 = Tensor.Zeros(128).RequiresGrad_();
        var w2 = (Tensor.Randn([128, 10], g) * MathF.Sqrt(1f / 128)).RequiresGrad_();
        var b2 = Tensor.Zeros(10).RequiresGrad_();
        Tensor[] parameters = [w1, b1, w2, b2];
        var velocity = parameters.Select(p => Tensor.Zeros(p.Shape.ToArray())).ToArray();
        Tensor Forward(Tensor x) => x.MatMul(w1).Add(b1).Relu().MatMul(w2).Add(b2);

        Console.WriteLine($"digits: {trainCount} train / {n - trainCount} test rows; MLP 64-128-10, SGD momentum 0.9, lr 0.05, batch 64; BLAS {Backends.Cpu.Gemm.Active}");
        const int batch = 64;
        var clock = Stopwatch.StartNew();
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            var perm = Tensor.RandPerm(trainCount, g);
            double lossSum = 0;
            int batches = 0;
            for (int start = 0; start < trainCount; start += batch)
            {
                using var scope = new TensorScope();
                var idx = perm.Narrow(0, start, Math.Min(batch, trainCount - start));
                var loss = Tensor.CrossEntropy(Forward(xTrain.IndexSelect(0, idx)), yTrain.IndexSelect(0, idx));
                loss.Backward();
                using (NoGrad.Enter())
                    for (int i = 0; i < parameters.Length; i++)
                    {
                        velocity[i].MulInPlace(0.9f).AddInPlace(parameters[i].Grad!);
                        parameters[i].AddInPlace(velocity[i], -0.05f);
                        parameters[i].ZeroGrad();
                    }
                lossSum += loss.Item();
                batches++;
            }
            if (epoch == 1 || epoch % 5 == 0 || epoch == epochs)
                Console.WriteLine($"epoch {epoch,3}  train loss {lossSum / batches:F4}  test accuracy {Accuracy(Forward, xTest, yTest):P1}  ({clock.Elapsed.TotalSeconds:F1} s)");
        }
        return 0;
    }

    private static float Accuracy(Func<Tensor, Tensor> forward, Tensor x, Tensor y)
    {
        using var _ = NoGrad.Enter();
        var predicted = forward(x).ArgMax(-1).ToArray<long>();
        var truth = y.ToArray<long>();
        return (float)predicted.Zip(truth).Count(p => p.First == p.Second) / truth.Length;
    }

    private static Tensor Rows(float[] features, long[] indices, int width)
    {
        var data = new float[indices.Length * width];
        for (int r = 0; r < indices.Length; r++) Array.Copy(features, indices[r] * width, data, r * width, width);
        return Tensor.FromArray(data, indices.Length, width);
    }

    private static (float[] Features, long[] Labels) ReadDigits(string path)
    {
        using var file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(stream);
        var features = new List<float>();
        var labels = new List<long>();
        int lineNumber = 0;
        for (string? line = reader.ReadLine(); line != null; line = reader.ReadLine())
        {
            lineNumber++;
            if (line.Length == 0) continue;
            var cells = line.Split(',');
            if (cells.Length != 65) throw new InvalidDataException($"{path}, line {lineNumber}: expected 65 values (64 pixels and a label), found {cells.Length}");
            for (int i = 0; i < 64; i++) features.Add(float.Parse(cells[i], System.Globalization.CultureInfo.InvariantCulture) / 16f);
            labels.Add(long.Parse(cells[64], System.Globalization.CultureInfo.InvariantCulture));
        }
        return (features.ToArray(), labels.ToArray());
    }
}
